"""The admin read API: a payment found by any id an admin holds, its whole story, a user, the
outbox with a retry, the figures, and who did what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from http_harness import ADMIN, Harness, make_config, make_harness, successful_payment

ANN_TOKEN = "ann-token-0123456789abcdef"
PAYER = 7_400_000_001


async def paid(h: Harness, user_id: str = "alice", charge: str = "stx-1") -> str:
    session = await h.create_session(user_id)
    await h.send_update(h.update(message=successful_payment(PAYER, session["sessionId"], 50,
                                                            charge)))
    return str(session["sessionId"])


async def get(h: Harness, path: str) -> object:
    response = await h.client.get(path, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_payment_is_found_by_any_id_the_admin_holds(h: Harness) -> None:
    sid = await paid(h)
    other = await h.create_session("bob")

    for q in (sid, "alice", str(PAYER), "stx-1"):
        found = await get(h, f"/api/admin/payments?q={q}")
        assert [s["sessionId"] for s in found] == [sid], q  # type: ignore[union-attr]
    assert [s["sessionId"] for s in await get(h, "/api/admin/payments?status=paid")] == [sid]  # type: ignore[union-attr]
    assert {s["sessionId"] for s in await get(h, "/api/admin/payments")} == {  # type: ignore[union-attr]
        sid, other["sessionId"]}
    assert await get(h, "/api/admin/payments?q=nothing-like-it") == []


@pytest.mark.parametrize("query", ["status=owed", "provider=paypal", "since=yesterday",
                                   "since=2026-01-01T00:00:00", "limit=0", "before=x",
                                   "telegramUserId=-4"])
async def test_a_malformed_search_is_a_422(h: Harness, query: str) -> None:
    response = await h.client.get(f"/api/admin/payments?{query}", headers=ADMIN)
    assert response.status_code == 422, response.text


async def test_a_refunded_payment_tells_its_whole_story_with_who_refunded_it() -> None:
    h = make_harness(make_config(starport_admins=f"ann:{ANN_TOKEN}"))
    async with h.client:
        sid = await paid(h)
        refunded = await h.client.post(f"/api/admin/payments/{sid}/refund", json={
            "reason": "bought by mistake"}, headers={"Authorization": f"Bearer {ANN_TOKEN}"})
        assert refunded.status_code == 200, refunded.text

        story = await get(h, f"/api/admin/payments/{sid}")
        missing = await h.client.get("/api/admin/payments/nope", headers=ADMIN)

    assert missing.status_code == 404
    assert story["session"]["status"] == "refunded"  # type: ignore[index]
    assert [c["chargeId"] for c in story["charges"]] == ["stx-1"]  # type: ignore[index]
    assert [(e["kind"], e["memo"]) for e in story["ledger"]] == [  # type: ignore[index]
        ("purchase", "credit package purchase"), ("refund", "provider refund")]
    assert story["refund"]["reason"] == "bought by mistake"  # type: ignore[index]
    assert [d["outcome"] for d in story["deliveries"]] == ["credited"]  # type: ignore[index]
    assert [e["type"] for e in story["events"]] == [  # type: ignore[index]
        "payment.succeeded", "payment.refunded"]
    assert [(a["admin"], a["action"], a["reason"]) for a in story["audit"]] == [  # type: ignore[index]
        ("ann", "refund_admin", "bought by mistake")]


async def test_a_user_overview_shows_balance_ledger_links_sessions_and_actions(h: Harness
                                                                              ) -> None:
    sid = await paid(h)
    await h.client.post("/api/admin/users/alice/adjust", headers=ADMIN, json={
        "credits": -30, "reason": "chargeback fee", "idempotencyKey": "f1"})

    user = await get(h, "/api/admin/users/alice")

    assert (user["balance"], user["debt"]) == (70, 0)  # type: ignore[index]
    assert [e["kind"] for e in user["ledger"]] == ["adjustment", "purchase"]  # type: ignore[index]
    assert [t["telegramUserId"] for t in user["telegram"]] == [PAYER]  # type: ignore[index]
    assert [s["sessionId"] for s in user["sessions"]] == [sid]  # type: ignore[index]
    assert [(a["action"], a["detail"]) for a in user["audit"]] == [  # type: ignore[index]
        ("adjust_credits", "-30 credits, balance 70")]


async def test_a_failed_outbox_item_is_listed_and_tried_again_by_an_admin(h: Harness) -> None:
    h.messenger.failures = 1  # the payment's confirmation fails once: it waits for a retry
    await paid(h)
    [waiting] = [i for i in await get(h, "/api/admin/outbox?status=pending")  # type: ignore[union-attr]
                 if i["kind"] == "SendText"]

    retried = await h.client.post(f"/api/admin/outbox/{waiting['id']}/retry", headers=ADMIN)
    unknown = await h.client.post("/api/admin/outbox/nope/retry", headers=ADMIN)
    trail = await get(h, "/api/admin/audit?admin=admin")

    assert retried.json()["status"] == "sent", retried.text
    assert unknown.status_code == 404
    assert [(a["action"], a["target"]) for a in trail] == [("retry_outbox", waiting["id"])]  # type: ignore[index]


async def test_the_figures_count_payments_revenue_and_refunds_per_day(h: Harness) -> None:
    first = await paid(h, charge="stx-1")
    h.clock.advance(timedelta(days=1))
    await paid(h, "bob", charge="stx-2")
    await h.client.post(f"/api/admin/payments/{first}/refund", headers=ADMIN,
                        json={"allowDebt": True})

    days = await get(h, "/api/admin/stats?days=3")

    assert [d["payments"] for d in days] == [  # type: ignore[index, union-attr]
        [], [{"provider": "telegram_stars", "currency": "XTR", "count": 1}],
        [{"provider": "telegram_stars", "currency": "XTR", "count": 1}]]
    yesterday, today = days[1], days[2]  # type: ignore[index]
    assert yesterday["revenue"] == [{"provider": "telegram_stars", "currency": "XTR",
                                     "amount": "50"}]
    assert (today["refunds"], today["creditsRefunded"]) == (1, 100)
    assert today["creditsSold"] == 100


async def test_job_runs_and_patron_changes_are_on_the_audit_trail(h: Harness) -> None:
    await h.client.post("/api/admin/jobs/expire-sessions/run", headers=ADMIN)
    await h.client.post("/api/admin/patrons", headers=ADMIN, json={"telegramUserId": 55})
    await h.client.delete("/api/admin/patrons/55", headers=ADMIN)

    trail = await get(h, "/api/admin/audit")

    assert [(a["action"], a["target"]) for a in reversed(trail)] == [  # type: ignore[arg-type]
        ("run_job", "expire-sessions"), ("make_patron", "55"), ("end_patron", "55")]


async def test_an_item_being_sent_or_a_message_sent_already_is_not_sent_again(h: Harness
                                                                               ) -> None:
    await paid(h)
    items = await get(h, "/api/admin/outbox?status=sent")
    [message] = [i for i in items if i["kind"] == "SendText"][:1]  # type: ignore[union-attr]

    again = await h.client.post(f"/api/admin/outbox/{message['id']}/retry", headers=ADMIN)

    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "retry_not_allowed"
    assert len(h.messenger.messages) == 1  # the payment's confirmation, once


@pytest.mark.parametrize("q", ["²", "٣٤", "1" * 30])
async def test_a_search_by_text_that_only_looks_like_a_number_finds_nothing(
    h: Harness, q: str,
) -> None:
    assert await get(h, f"/api/admin/payments?q={q}") == []
