"""The Telegram webhook's lane (entrypoints/http/lanes.py): past Starlette's middleware, it
keeps what the ordinary way gives every request (the route's metrics, the request id, the body
limit, a 500 for the unexpected), and leaves other methods and paths to the ordinary way."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from http_harness import WEBHOOK_SECRET, Harness, make_config, make_harness, private_message

from starport.entrypoints.http import telegram_webhook
from starport.entrypoints.http.lanes import Lane

ROUTE = "/api/telegram/webhook"


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    harness = make_harness(make_config(starport_max_body_bytes=2048,
                                       starport_cors_origins="https://app.example"))
    async with harness.client:
        yield harness


def _requests(h: Harness, route: str, status_class: str) -> float:
    value = h.metrics.registry.get_sample_value(
        "starport_http_requests_total", {"route": route, "status": status_class})
    return value or 0.0


async def test_an_update_is_counted_under_its_route_and_answered_with_a_request_id(
        h: Harness) -> None:
    response = await h.send_update(h.update(message=private_message(7, "/start")),
                                   secret=WEBHOOK_SECRET)
    assert response.status_code == 200
    assert response.headers["x-request-id"]
    assert _requests(h, ROUTE, "2xx") == 1
    assert isinstance(h.client._transport.app.middleware_stack, Lane)  # type: ignore[attr-defined]
    assert h.metrics.registry.get_sample_value(
        "starport_http_request_seconds_count", {"route": ROUTE}) == 1


async def test_a_body_over_the_limit_is_refused(h: Harness) -> None:
    response = await h.client.post(ROUTE, content=b"{" + b" " * 4096 + b"}",
                                   headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert _requests(h, ROUTE, "4xx") == 1


async def test_the_unexpected_is_a_logged_500_with_a_request_id(
        h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raw: bytes) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(telegram_webhook, "parse_update", broken)
    response = await h.send_update(h.update(message=private_message(7, "/start")))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert response.headers["x-request-id"]
    assert _requests(h, ROUTE, "5xx") == 1


async def test_other_methods_and_paths_take_the_ordinary_way(h: Harness) -> None:
    assert (await h.client.get(ROUTE)).status_code == 405
    assert (await h.client.post(ROUTE + "/")).status_code == 404
    preflight = await h.client.options(ROUTE, headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
