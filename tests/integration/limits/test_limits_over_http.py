"""Per-user payment limits over HTTP against the sandboxes, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select
from tests.integration.starport_live import live_starport

from starport.adapters.sql import SqlDatabase
from starport.adapters.sql.tables import sessions

WAIT = "Too many payment attempts. Please try again in {}."
ANN, BOB = 7_100_000_001, 7_100_000_002


async def test_rest_answers_429_with_retry_after_over_the_hourly_limit(database_url: str) -> None:
    async with live_starport(database_url, starport_max_sessions_per_hour=2) as live:
        # Given two sessions this hour
        for _ in range(2):
            assert (await live.create_session("host-1")).status_code == 201
        # When the host app asks for a third
        response = await live.create_session("host-1")
        # Then 429, with when to come back, and nothing was created
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "3600"
        error = response.json()["error"]
        assert (error["code"], error["retryAfter"], error["reason"]) == (
            "rate_limited", 3600, "sessions")
        assert "too many payment sessions" in error["message"]
        assert (await live.create_session("host-2")).status_code == 201  # others unaffected


async def test_the_buy_button_over_the_limit_gets_the_template_and_no_invoice(
        database_url: str) -> None:
    async with live_starport(database_url, starport_max_sessions_per_hour=1) as live:
        actor = live.actor
        actor.create_user(ANN, "Ann")
        await actor.send_text(ANN, "/buy")
        await actor.press_button(ANN, callback_data="buy:starter")
        await actor.press_button(ANN, callback_data="buy:starter")
        await live.settle()
        assert live.texts_to(ANN)[-1] == WAIT.format("60 minutes")
        assert len([m for m in actor.messages(ANN) if "invoice" in m]) == 1


async def test_refused_pre_checkouts_cool_down_the_payer_not_the_owner(database_url: str
                                                                      ) -> None:
    async with live_starport(database_url, starport_max_failures=2,
                             starport_failure_cooldown_minutes=15) as live:
        actor = live.actor
        actor.create_user(ANN, "Ann")
        actor.create_user(BOB, "Bob")
        # Given Ann's purchase, opened in her chat
        session = (await live.create_session("host-ann")).json()
        await actor.send_text(ANN, f"/start pay_{session['sessionId']}")
        # When Bob tries twice to pay it through its invoice link (refused: not his)
        for _ in range(2):
            outcome = await actor.pay_invoice(BOB, invoice_link=session["invoiceLink"])
            assert outcome.status == "refused"
        # Then Bob is the one cooling down: his next try gets the rate-limit message
        outcome = await actor.pay_invoice(BOB, invoice_link=session["invoiceLink"])
        assert (outcome.status, outcome.error_message) == ("refused", WAIT.format("15 minutes"))
        # and Ann, whose link it is, can still pay and open sessions
        outcome = await actor.pay_invoice(ANN, invoice_link=session["invoiceLink"])
        assert outcome.status == "paid"
        assert (await live.create_session("host-ann")).status_code == 201


async def test_the_limit_holds_across_two_instances_sharing_one_database(
        database_url: str) -> None:
    # Two Starport instances (each its own runtime, engine, sandbox and port), one database
    limit, tries = 5, 24
    async with live_starport(database_url, starport_max_sessions_per_hour=limit) as one, \
            live_starport(database_url, starport_max_sessions_per_hour=limit) as two:
        # When one user's sessions are asked for from both at the same moment
        responses = await asyncio.gather(*(
            (one if n % 2 else two).create_session("host-busy") for n in range(tries)))
    # Then exactly `limit` were created, every other call was told to wait
    assert Counter(r.status_code for r in responses) == {201: limit, 429: tries - limit}
    db = SqlDatabase(database_url)
    try:
        async with db.connection(db.engine) as conn:
            created = (await conn.execute(select(func.count()).select_from(sessions)
                                          .where(sessions.c.user_id == "host-busy"))).scalar()
    finally:
        await db.dispose()
    assert created == limit
