"""Events to the host app end to end: a receiver of its own on loopback, verifying every request
with the `standardwebhooks` library as the README tells a host app to; Starport in the sandbox,
paying in Telegram, spending and refunding through the host API."""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_support import balance, create_session, run_job, start_parameter
from features.drivers.http_database import sqlite_url
from features.drivers.http_server import ADMIN_AUTH, SERVER_AUTH, Server, free_port, running_server
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from starport.sandbox.serve import serve_app

ANN = 7_300_000_001
SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class Receiver:
    """The host app's endpoint: verifies, then handles each `webhook-id` once."""

    answer: int = 204  # what it answers (503: down)
    fail_after_handling: int = 0  # handle, then answer 500 this many times (a late 2xx)
    requests: list[str] = field(default_factory=list)  # webhook-id of each request
    handled: list[dict[str, Any]] = field(default_factory=list)  # each event, once
    refused: int = 0  # requests whose signature did not verify
    url: str = ""

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        try:
            event = Webhook(SECRET).verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.refused += 1
            return Response(status_code=400)
        event_id = request.headers["webhook-id"]
        self.requests.append(event_id)
        if self.answer >= 300:
            return Response(status_code=self.answer)
        if event_id not in {e["id"] for e in self.handled}:  # a repeat changes nothing
            self.handled.append({"id": event_id, **event})
        if self.fail_after_handling > 0:
            self.fail_after_handling -= 1
            return Response(status_code=500)
        return Response(status_code=self.answer)

    def types(self) -> list[str]:
        return [e["type"] for e in self.handled]


@contextlib.asynccontextmanager
async def receiver_and_server(catalog: Path, tmp_path: Path
                              ) -> AsyncIterator[tuple[Receiver, Server]]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/events", receiver.endpoint, methods=["POST"])])
    async with serve_app(app, port=free_port()) as base:
        receiver.url = f"{base}/events"
        async with running_server(catalog, sqlite_url(tmp_path),
                                  starport_events_url=receiver.url,
                                  starport_events_secret=SECRET) as server:
            yield receiver, server


async def pay_in_telegram(server: Server, user_id: str) -> dict[str, Any]:
    actor = server.actor()
    actor.create_user(ANN, "Ann")
    created = await create_session(server, user_id, "telegram")
    await actor.send_text(ANN, f"/start {start_parameter(created)}")
    assert (await actor.pay_invoice(ANN)).ok
    await server.settle()
    return created


async def spend(server: Server, user_id: str, credits: int, key: str) -> None:
    response = await server.http.post(f"/api/users/{user_id}/spend", headers=SERVER_AUTH,
                                      json={"credits": credits, "idempotencyKey": key,
                                            "reason": "a report"})
    assert response.status_code == 200, response.text


async def events(server: Server, **query: str) -> list[dict[str, Any]]:
    response = await server.http.get("/api/admin/events", headers=ADMIN_AUTH, params=query)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_purchase_a_spend_and_a_refund_reach_the_host_app_signed_and_in_order(
    catalog: Path, tmp_path: Path,
) -> None:
    async with receiver_and_server(catalog, tmp_path) as (receiver, server):
        created = await pay_in_telegram(server, "ann")
        server.advance(timedelta(seconds=1))
        await spend(server, "ann", 30, "report-1")
        await spend(server, "ann", 30, "report-1")  # the host app's retry: spent once
        server.advance(timedelta(seconds=1))
        refunded = await server.http.post(
            f"/api/admin/payments/{created['sessionId']}/refund", headers=ADMIN_AUTH,
            json={"reason": "asked for it", "allowDebt": True})
        assert refunded.status_code == 200, refunded.text
        await server.settle()

        assert receiver.refused == 0
        assert receiver.types() == ["payment.succeeded", "credits.spent", "payment.refunded"]
        paid, spent, refund = (e["data"] for e in receiver.handled)
        assert paid == paid | {"userId": "ann", "sessionId": created["sessionId"],
                               "packageId": "starter", "provider": "telegram_stars",
                               "credits": 100, "balance": 100, "telegramUserId": ANN,
                               "price": {"amount": "50", "currency": "XTR"}, "renewal": False}
        assert spent == {"userId": "ann", "credits": 30, "balance": 70, "reason": "a report",
                         "idempotencyKey": "report-1"}
        assert refund == refund | {"userId": "ann", "sessionId": created["sessionId"],
                                   "credits": 100, "balance": -30, "debt": 30,
                                   "initiatedBy": "admin", "reason": "asked for it"}
        assert await balance(server, "ann") == -30
        listed = await events(server, userId="ann")
        assert [(e["type"], e["status"], e["attempts"]) for e in listed] == [
            ("payment.refunded", "sent", 1), ("credits.spent", "sent", 1),
            ("payment.succeeded", "sent", 1)]
        assert [e["id"] for e in reversed(listed)] == receiver.requests  # webhook-id = event id


async def test_a_receiver_down_for_a_while_gets_every_event_once_in_order(
    catalog: Path, tmp_path: Path,
) -> None:
    async with receiver_and_server(catalog, tmp_path) as (receiver, server):
        receiver.answer = 503
        await pay_in_telegram(server, "ann")
        server.advance(timedelta(seconds=1))
        await spend(server, "ann", 10, "a")
        server.advance(timedelta(seconds=1))
        await spend(server, "ann", 20, "b")

        waiting = await events(server, status="pending")
        assert receiver.handled == []
        assert len(receiver.requests) == 1  # the first one tried at once; the others wait
        assert [(e["type"], e["attempts"]) for e in waiting] == [
            ("credits.spent", 0), ("credits.spent", 0), ("payment.succeeded", 1)]
        assert "503" in (waiting[-1]["lastError"] or "")

        server.advance(timedelta(seconds=6))  # past the first retry's wait: still down
        await run_job(server, "dispatch-outbox")
        assert receiver.handled == [] and len(receiver.requests) == 2

        receiver.answer = 204  # back up; the next retry (5 minutes later) delivers them all
        server.advance(timedelta(minutes=5, seconds=1))
        counts = await run_job(server, "dispatch-outbox")

        assert counts.get("sent") == 3, counts
        assert receiver.types() == ["payment.succeeded", "credits.spent", "credits.spent"]
        assert [e["data"]["balance"] for e in receiver.handled] == [100, 90, 70]
        assert len(set(receiver.requests)) == 3  # one webhook-id per event, however many tries
        assert await events(server, status="pending") == []
        await run_job(server, "dispatch-outbox")
        assert len(receiver.requests) == 5  # 1 + 1 failed tries, 3 deliveries: nothing more


async def test_a_receiver_that_answers_late_sees_the_same_id_again_and_handles_it_once(
    catalog: Path, tmp_path: Path,
) -> None:
    async with receiver_and_server(catalog, tmp_path) as (receiver, server):
        receiver.fail_after_handling = 1  # handled, but the 2xx never reached Starport
        await pay_in_telegram(server, "ann")
        server.advance(timedelta(seconds=6))
        await run_job(server, "dispatch-outbox")

        first = receiver.requests[0]
        assert receiver.requests == [first, first]
        assert receiver.types() == ["payment.succeeded"]
        assert [(e["status"], e["attempts"]) for e in await events(server)] == [("sent", 2)]


async def test_an_admin_resends_a_failed_event_with_its_own_id(catalog: Path, tmp_path: Path
                                                               ) -> None:
    async with receiver_and_server(catalog, tmp_path) as (receiver, server):
        await pay_in_telegram(server, "ann")
        [sent] = await events(server)
        missing = await server.http.post("/api/admin/events/no-such-event/resend",
                                         headers=ADMIN_AUTH)
        again = await server.http.post(f"/api/admin/events/{sent['id']}/resend",
                                       headers=ADMIN_AUTH)

        assert missing.status_code == 404, missing.text
        assert missing.json()["error"]["code"] == "event_not_found"
        assert again.status_code == 200, again.text
        assert (again.json()["status"], again.json()["attempts"]) == ("sent", 2)
        assert receiver.requests == [sent["id"], sent["id"]]
        assert receiver.types() == ["payment.succeeded"]  # the receiver dropped the repeat


@pytest.mark.parametrize("settings, error", [
    ({"starport_events_url": "https://app.example/events"}, "go together"),
    ({"starport_events_url": "https://app.example/events",
      "starport_events_secret": "not-a-secret"}, "whsec_"),
    ({"starport_events_url": "ftp://app.example/events", "starport_events_secret": SECRET},
     "http(s)://"),
])
def test_an_events_url_needs_a_signing_secret_of_the_right_shape(
    settings: dict[str, str], error: str,
) -> None:
    from features.drivers.http_server import make_config

    with pytest.raises(ValueError, match=error):
        make_config(free_port(), Path("catalog.toml"), None, **settings)
