"""Operations: health, metrics, the OpenAPI document, request-scoped logs without secrets."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import pytest
import structlog
from http_harness import (
    BOT_TOKEN,
    SERVER,
    WEBHOOK_SECRET,
    Harness,
    make_config,
    make_harness,
    pre_checkout,
    successful_payment,
)

from starport.entrypoints.console.routes import ROUTES as CONSOLE_ROUTES
from starport.entrypoints.http.app import create_app
from starport.entrypoints.observability import configure_logging
from starport.sandbox.telegram import DEFAULT_BOT_TOKEN, SandboxTelegram


def sample(h: Harness, name: str, **labels: str) -> float:
    return h.metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], list[dict]]]:
    configure_logging("json", "INFO", secrets=[WEBHOOK_SECRET, BOT_TOKEN])

    def lines() -> list[dict]:
        return [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]

    yield lines
    root = logging.getLogger()
    for handler in [x for x in root.handlers if x.get_name() == "starport"]:
        root.removeHandler(handler)
    structlog.reset_defaults()


class TestHealth:
    async def test_healthy(self, h: Harness) -> None:
        response = await h.client.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    async def test_database_down_is_a_503(self, h: Harness) -> None:
        h.database.down = True
        response = await h.client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"


class TestMetrics:
    async def test_a_credited_payment_is_counted(self, h: Harness) -> None:
        session = await h.create_session()
        await h.send_update(h.update(
            pre_checkout_query=pre_checkout("q", 9, session["sessionId"], 50)))
        await h.send_update(h.update(
            message=successful_payment(9, session["sessionId"], 50, "c-1")))

        response = await h.client.get("/metrics")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert 'starport_payments_credited_total{provider="telegram_stars"} 1.0' in response.text
        assert sample(h, "starport_webhook_requests_total", source="telegram",
                      outcome="credited") == 1
        assert sample(h, "starport_pre_checkout_seconds_count") == 1

    async def test_a_replayed_payment_is_not_counted_twice(self, h: Harness) -> None:
        session = await h.create_session("u1", method="cryptopay")
        body = h.invoice_paid(session)
        await h.send_cryptopay(body)
        await h.send_cryptopay(body)
        await h.send_cryptopay(body, signature="00")

        assert sample(h, "starport_payments_credited_total", provider="cryptopay") == 1
        assert sample(h, "starport_webhook_requests_total", source="cryptopay",
                      outcome="duplicate") == 1
        assert sample(h, "starport_webhook_requests_total", source="cryptopay",
                      outcome="bad_signature") == 1

    async def test_bot_api_calls_are_recorded_through_the_hook(self, h: Harness) -> None:
        h.metrics.record_bot_api_call("sendMessage", "ok", 0.12)
        h.metrics.record_bot_api_call("sendMessage", "blocked", 0.05)
        assert sample(h, "starport_bot_api_calls_total", method="sendMessage",
                      outcome="blocked") == 1
        assert sample(h, "starport_bot_api_call_seconds_count", method="sendMessage") == 2

    async def test_apps_have_registries_of_their_own(self) -> None:
        first, second = make_harness(make_config()), make_harness(make_config())
        first.metrics.record_webhook("telegram", "ok")
        assert second.metrics.registry is not first.metrics.registry
        assert sample(second, "starport_webhook_requests_total", source="telegram",
                      outcome="ok") == 0


async def test_the_openapi_document_describes_every_route(h: Harness) -> None:
    """Every route but the console's pages (HTML for a browser, not an API)."""
    response = await h.client.get("/openapi.json")

    document = response.json()
    assert document["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    app = h.client._transport.app  # type: ignore[attr-defined]
    served = {(m, r.path.replace("{session_id}", "{sessionId}")
               .replace("{user_id}", "{userId}")
               .replace("{telegram_user_id}", "{telegramUserId}")
               .replace("{event_id}", "{eventId}").replace("{item_id}", "{itemId}")
               .replace("{conversation_id}", "{conversationId}"))
              for r in app.routes if hasattr(r, "methods") and r not in CONSOLE_ROUTES
              for m in r.methods if m != "HEAD"
              and r.path != "/miniapp"}  # a page (to /miniapp/), not the API
    assert served == documented
    body = document["paths"]["/api/users/{userId}/spend"]["post"]["requestBody"]
    assert "idempotencyKey" in json.dumps(body)


async def test_every_line_of_a_request_carries_its_ids_and_no_secret(
        h: Harness, json_logs: Callable[[], list[dict]]) -> None:
    session = await h.create_session()
    json_logs()
    update = h.update(message=successful_payment(9, session["sessionId"], 50, "c-1"))

    response = await h.send_update(update)

    lines = json_logs()
    request_id = response.headers["x-request-id"]
    mine = [x for x in lines if x.get("request_id") == request_id]
    assert {x["event"] for x in mine} >= {"payment.credited", "telegram.update_handled",
                                         "http.request"}
    assert all(x["update_id"] == update["update_id"] for x in mine)
    assert all(x["session_id"] == session["sessionId"] for x in mine)
    text = json.dumps(lines)
    assert WEBHOOK_SECRET not in text
    assert BOT_TOKEN not in text


async def test_a_client_request_id_is_kept(h: Harness) -> None:
    response = await h.client.get("/api/packages", headers={"X-Request-Id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_the_sandbox_is_mounted_and_its_token_never_logged(
        json_logs: Callable[[], list[dict]]) -> None:
    h = make_harness(make_config(starport_sandbox=True))
    h.runtime.sandbox_telegram = SandboxTelegram()
    app = create_app(h.runtime, h.metrics)
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        response = await client.post(f"/sandbox/telegram/bot{DEFAULT_BOT_TOKEN}/getMe")
        await client.get("/api/users/u1/balance", headers=SERVER)

    assert response.status_code == 200
    assert response.json()["ok"] is True
    text = json.dumps(json_logs())
    assert "/sandbox/telegram/bot<token>/getMe" in text
    assert DEFAULT_BOT_TOKEN not in text
