"""Every success body the API answers matches the schema /openapi.json declares for its
operation (no field missing, none undeclared, each of its type): one pass over every route."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from http_harness import ADMIN, SERVER, Harness, private_message, successful_payment
from jsonschema import Draft202012Validator

from starport.entrypoints.http.openapi import document

TG = 31337
SUPPORT_CHAT = -1009876543210


class Checker:
    def __init__(self) -> None:
        self.doc = document()
        self.checked: set[str] = set()

    def __call__(self, method: str, path: str, response: httpx.Response) -> Any:
        operation = self.doc["paths"][path][method]
        status = str(response.status_code)
        assert status in operation["responses"], (path, response.text)
        assert response.status_code < 300, (path, response.text)
        [(media, content)] = operation["responses"][status]["content"].items()
        assert response.headers["content-type"].split(";")[0] == media, (path, media)
        declared = content["schema"]
        body = response.json() if media == "application/json" else response.text
        schema = {**declared, "components": self.doc["components"]}
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in Draft202012Validator(schema).iter_errors(body)]
        assert errors == [], (path, errors)
        self.checked.add(operation["operationId"])
        return body


async def test_every_success_body_matches_its_declared_schema(h: Harness) -> None:
    check, c = Checker(), h.client
    check("get", "/api/packages", await c.get("/api/packages"))
    session = check("post", "/api/payments/create-session", await c.post(
        "/api/payments/create-session", headers=SERVER,
        json={"packageId": "starter", "paymentMethod": "telegram_stars", "userId": "alice"}))
    sid = session["sessionId"]
    check("get", "/api/payments/sessions/{sessionId}",
          await c.get(f"/api/payments/sessions/{sid}", headers=SERVER))
    answer = await h.send_update(h.update(message=successful_payment(TG, sid, 50, "c-schema")))
    check("post", "/api/telegram/webhook", answer)
    check("get", "/api/users/{userId}/balance",
          await c.get("/api/users/alice/balance", headers=SERVER))
    check("post", "/api/users/{userId}/spend", await c.post(
        "/api/users/alice/spend", headers=SERVER,
        json={"credits": 10, "idempotencyKey": "k1", "reason": "a test"}))
    check("get", "/api/users/{userId}/ledger",
          await c.get("/api/users/alice/ledger", headers=SERVER))
    check("get", "/api/users/{userId}/telegram",
          await c.get("/api/users/alice/telegram", headers=SERVER))
    check("post", "/api/users/{userId}/telegram", await c.post(
        "/api/users/bob/telegram", headers=SERVER, json={"telegramUserId": TG + 1}))
    check("delete", "/api/users/{userId}/telegram/{telegramUserId}",
          await c.delete(f"/api/users/bob/telegram/{TG + 1}", headers=SERVER))
    check("post", "/api/users/{userId}/telegram/link-token",
          await c.post("/api/users/bob/telegram/link-token", headers=SERVER))
    check("post", "/api/admin/payments/{sessionId}/refund",
          await c.post(f"/api/admin/payments/{sid}/refund", headers=ADMIN,
                       json={"allowDebt": True}))
    check("get", "/api/admin/bot-messages", await c.get("/api/admin/bot-messages", headers=ADMIN))
    key = "/api/admin/bot-messages/{key}"
    check("put", key, await c.put("/api/admin/bot-messages/bot_welcome", headers=ADMIN,
                                  json={"template": "Hi {first_name}!"}))
    check("put", key, await c.put("/api/admin/bot-messages/bot_welcome?language=ru",
                                  headers=ADMIN, json={"template": "Привет, {first_name}!"}))
    check("get", key, await c.get("/api/admin/bot-messages/bot_welcome?language=de",
                                  headers=ADMIN))
    ok = check("post", f"{key}/preview", await c.post(
        "/api/admin/bot-messages/bot_welcome/preview?language=ru", headers=ADMIN))
    refused = check("post", f"{key}/preview", await c.post(
        "/api/admin/bot-messages/bot_welcome/preview", headers=ADMIN,
        json={"template": "Hi {first_name}!", "parseMode": "MarkdownV2"}))
    assert (ok["ok"], refused["ok"]) == (True, False), (ok, refused)
    check("get", key, await c.get("/api/admin/bot-messages/bot_welcome", headers=ADMIN))
    check("get", f"{key}/history",
          await c.get("/api/admin/bot-messages/bot_welcome/history", headers=ADMIN))
    check("post", f"{key}/reset",
          await c.post("/api/admin/bot-messages/bot_welcome/reset", headers=ADMIN))
    check("post", f"{key}/reset",
          await c.post("/api/admin/bot-messages/bot_welcome/reset?language=ru", headers=ADMIN))
    check("get", "/api/admin/jobs", await c.get("/api/admin/jobs", headers=ADMIN))
    check("post", "/api/admin/jobs/{name}/run",
          await c.post("/api/admin/jobs/expire-sessions/run", headers=ADMIN))
    for path in ("/api/admin/deliveries", "/api/admin/webhooks"):
        check("get", path, await c.get(f"{path}?sessionId={sid}", headers=ADMIN))
    check("post", "/api/admin/users/{userId}/adjust", await c.post(
        "/api/admin/users/u1/adjust", headers=ADMIN,
        json={"credits": 5, "reason": "goodwill", "idempotencyKey": "g1"}))
    events = check("get", "/api/admin/events", await c.get("/api/admin/events", headers=ADMIN))
    assert events, "a payment was credited: at least payment.succeeded"
    check("post", "/api/admin/events/{eventId}/resend", await c.post(
        f"/api/admin/events/{events[0]['id']}/resend", headers=ADMIN))
    check("post", "/api/admin/patrons", await c.post(
        "/api/admin/patrons", headers=ADMIN, json={"telegramUserId": TG + 2}))
    check("delete", "/api/admin/patrons/{telegramUserId}",
          await c.delete(f"/api/admin/patrons/{TG + 2}", headers=ADMIN))
    story = check("get", "/api/admin/payments/{sessionId}",
                  await c.get(f"/api/admin/payments/{sid}", headers=ADMIN))
    assert story["charges"] and story["ledger"] and story["refund"] and story["audit"]
    assert story["events"] and story["deliveries"]
    assert check("get", "/api/admin/payments",
                 await c.get(f"/api/admin/payments?q={TG}", headers=ADMIN))
    overview = check("get", "/api/admin/users/{userId}",
                     await c.get("/api/admin/users/alice", headers=ADMIN))
    assert overview["sessions"] and overview["ledger"]
    assert check("get", "/api/admin/patrons", await c.get("/api/admin/patrons", headers=ADMIN))
    items = check("get", "/api/admin/outbox", await c.get("/api/admin/outbox", headers=ADMIN))
    [event] = [i for i in items if i["kind"] == "PublishEvent"][:1]  # sent: may go again
    check("post", "/api/admin/outbox/{itemId}/retry",
          await c.post(f"/api/admin/outbox/{event['id']}/retry", headers=ADMIN))
    days = check("get", "/api/admin/stats", await c.get("/api/admin/stats?days=7", headers=ADMIN))
    assert len(days) == 7 and days[-1]["payments"]
    assert check("get", "/api/admin/audit", await c.get("/api/admin/audit", headers=ADMIN))
    check("post", "/api/patrons", await c.post(
        "/api/patrons", headers=SERVER, json={"telegramUserId": TG + 3, "userId": "carol"}))
    check("delete", "/api/patrons/{telegramUserId}",
          await c.delete(f"/api/patrons/{TG + 3}", headers=SERVER))
    await support_round_trip(h)
    page = check("get", "/api/admin/support/conversations",
                 await c.get("/api/admin/support/conversations?limit=1", headers=ADMIN))
    conversation = page["conversations"][0]["conversationId"]
    detail = check("get", "/api/admin/support/conversations/{conversationId}",
                   await c.get(f"/api/admin/support/conversations/{conversation}",
                               headers=ADMIN))
    assert [m["direction"] for m in detail["messages"]] == ["in", "out"]
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        check("get", path, await c.get(path))

    declared = {op["operationId"] for ops in check.doc["paths"].values() for op in ops.values()}
    # The Crypto Pay webhook and the recorded refund have their own tests of their bodies.
    assert declared - check.checked == {"cryptoPayWebhook", "recordRefund"}


async def support_round_trip(h: Harness) -> None:
    """A question relayed to the support chat and an agent's reply to it."""
    deps = h.runtime.deps
    deps.settings = dataclasses.replace(deps.settings, support_chat_id=SUPPORT_CHAT)
    for text in ("/support", "Where are my credits?"):
        await h.send_update(h.update(message=private_message(TG, text)))
    relay_id = next(n for n, m in enumerate(h.messenger.messages, 1)
                    if m.chat_id == SUPPORT_CHAT)
    await h.send_update(h.update(message={
        "message_id": 77, "date": 1767268800, "text": "Here they are.",
        "from": {"id": TG + 9, "is_bot": False, "first_name": "Bea"},
        "chat": {"id": SUPPORT_CHAT, "type": "supergroup", "title": "Support"},
        "reply_to_message": {"message_id": relay_id, "date": 1767268800,
                             "chat": {"id": SUPPORT_CHAT, "type": "supergroup"}}}))


def test_a_body_that_drifts_from_its_schema_is_caught() -> None:
    doc = document()
    schema = {"$ref": "#/components/schemas/Balance", "components": doc["components"]}
    drifted = {"userId": "alice", "balance": "100", "credits": 100}  # a string, no debt, extra

    errors = list(Draft202012Validator(schema).iter_errors(drifted))

    assert len(errors) == 3
