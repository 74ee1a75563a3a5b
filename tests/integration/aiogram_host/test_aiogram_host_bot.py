"""A host's aiogram 3 bot keeps its own webhook and hands Starport (STARPORT_BOT_MODE=payments,
same bot) the updates it needs through StarportForwarder: all over real sockets, the sandbox
Telegram delivering to the host's webhook and taking both bots' Bot API calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.types import LabeledPrice
from tests.integration.aiogram_host.host_bot import WELCOME, HostBot, Outage, host_bot
from tests.integration.starport_live import Live, free_port, live_starport

from starport.adapters.sql import migrate
from starport.domain import ledger
from starport.integrations.aiogram import UNAVAILABLE

ANN = 7_500_000_001


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'starport.db'}"
    migrate.upgrade(url)
    async with live_starport(url, starport_bot_mode="payments") as live:
        live.actor.create_user(ANN, "Ann")
        yield live


def starport_url(live: Live) -> str:
    return str(live.http.base_url).rstrip("/")


async def balance(live: Live, user_id: str) -> int:
    async with live.runtime.deps.uow() as uow:
        return await uow.ledger.balance(ledger.user_account(user_id))


async def open_invoice(live: Live, host: HostBot) -> str:
    """Alice's session, opened by Ann through its deep link: Starport sends the invoice."""
    response = await live.create_session("alice")
    assert response.status_code == 201, response.text
    session_id: str = response.json()["sessionId"]
    await live.actor.send_text(ANN, f"/start pay_{session_id}")
    await live.settle()
    assert len([m for m in live.actor.messages(ANN) if "invoice" in m]) == 1
    return session_id


def kinds(host: HostBot) -> list[str]:
    """What the host's bot forwarded to Starport, in order."""
    found = []
    for update in host.forwarded:
        if "pre_checkout_query" in update:
            found.append("pre_checkout_query")
        elif "successful_payment" in update["message"]:
            found.append("successful_payment")
        elif "refunded_payment" in update["message"]:
            found.append("refunded_payment")
        else:
            found.append(update["message"]["text"].partition("_")[0])
    return found


async def test_a_purchase_through_the_hosts_bot_is_credited_once(live: Live) -> None:
    async with host_bot(live, starport_url(live)) as host:
        await open_invoice(live, host)

        paid = await live.actor.pay_invoice(ANN)
        await live.settle()

        assert paid.ok
        # the pre-checkout was answered through the host's bot (Starport's answer, performed)
        assert [(a["user_id"], a["ok"]) for a in live.actor.bot.checkout_answers] == [(ANN, True)]
        assert await balance(live, "alice") == 100
        assert kinds(host) == ["/start pay", "pre_checkout_query", "successful_payment"]
        assert host.seen == []  # consumed: the host's handlers never saw them
        received = [t for t in live.texts_to(ANN) if t.startswith("Payment received")]
        assert len(received) == 1


async def test_a_refund_telegram_reports_to_the_hosts_bot_takes_the_credits_back(
        live: Live) -> None:
    async with host_bot(live, starport_url(live)) as host:
        await open_invoice(live, host)
        paid = await live.actor.pay_invoice(ANN)
        assert paid.telegram_payment_charge_id is not None

        refunded = await live.actor.request_refund(ANN, paid.telegram_payment_charge_id)
        await live.settle()

        assert refunded.status == "delivered"
        assert kinds(host)[-1] == "refunded_payment"
        assert await balance(live, "alice") == 0
        assert host.seen == []


async def test_the_hosts_own_start_and_messages_stay_with_the_hosts_bot(live: Live) -> None:
    async with host_bot(live, starport_url(live)) as host:
        await live.actor.send_text(ANN, "/start")
        await live.actor.send_text(ANN, "what can you do?")
        await live.settle()

        assert host.seen == ["/start", "what can you do?"]
        assert host.forwarded == []
        assert live.texts_to(ANN) == [WELCOME]  # the host's menu, and nothing from Starport
        assert await live.webhooks(source="telegram") == []


async def test_the_hosts_own_invoices_stay_with_the_hosts_bot(live: Live) -> None:
    async with host_bot(live, starport_url(live),
                        is_starport_payload=lambda payload: not payload.startswith("host:")
                        ) as host:
        session_id = await open_invoice(live, host)
        await host.bot.send_invoice(ANN, title="Gold badge", description="A badge of the host's",
                                    payload="host:gold", currency="XTR",
                                    prices=[LabeledPrice(label="Gold badge", amount=10)])

        own = await live.actor.pay_invoice(ANN)  # the host's, sent last
        starports = await live.actor.pay_invoice(ANN)
        await live.settle()

        assert (own.status, own.invoice_payload) == ("paid", "host:gold")
        assert (starports.status, starports.invoice_payload) == ("paid", session_id)
        assert host.own_payments == ["host:gold"]
        assert kinds(host) == ["/start pay", "pre_checkout_query", "successful_payment"]
        assert await balance(live, "alice") == 100


async def test_with_starport_down_the_pre_checkout_is_refused_at_once(live: Live) -> None:
    async with host_bot(live, starport_url(live)) as host:
        await open_invoice(live, host)
    async with host_bot(live, f"http://127.0.0.1:{free_port()}") as down:
        paid = await live.actor.pay_invoice(ANN)

        assert paid.status == "refused"
        assert paid.error_message == UNAVAILABLE
        assert kinds(down) == ["pre_checkout_query"] * down.forwarder.attempts
        assert await balance(live, "alice") == 0


async def test_a_payment_starport_missed_comes_again_and_is_credited_once(live: Live) -> None:
    outage = Outage("successful_payment", times=3)
    async with host_bot(live, starport_url(live), outage, attempts=2) as host:
        await open_invoice(live, host)

        paid = await live.actor.pay_invoice(ANN)
        await live.settle()

        assert paid.ok
        assert paid.payment is not None
        # two forwards failed: the host's webhook answered 500 and Telegram delivered it again
        assert paid.payment["responses"] == [500, 200]
        assert kinds(host).count("successful_payment") == 4  # 2 failed, 1 failed, 1 taken
        assert await balance(live, "alice") == 100


async def test_a_replayed_payment_is_not_credited_twice(live: Live) -> None:
    async with host_bot(live, starport_url(live)) as host:
        await open_invoice(live, host)

        paid = await live.actor.pay_invoice(ANN, duplicate=True)  # each update delivered twice
        await live.settle()

        assert paid.ok
        assert kinds(host).count("successful_payment") == 2
        assert await balance(live, "alice") == 100
        assert len(live.actor.bot.checkout_answers) == 1  # the repeat's answer came too late
        charge = paid.telegram_payment_charge_id
        assert charge is not None
        assert [e["outcome"] for e in await live.webhooks(chargeId=charge)] == ["credited"]
        received = [t for t in live.texts_to(ANN) if t.startswith("Payment received")]
        assert len(received) == 1


async def test_with_starport_hanging_the_pre_checkout_is_refused_before_telegram_gives_up(
        live: Live) -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # takes the request, never answers

    async with host_bot(live, starport_url(live)) as host:
        await open_invoice(live, host)
    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with host_bot(live, f"http://127.0.0.1:{port}", pre_checkout_timeout=0.5) as hung:
            paid = await live.actor.pay_invoice(ANN)

            assert paid.status == "refused"  # not "no_answer": Telegram got ok=False in time
            assert paid.error_message == UNAVAILABLE
            assert kinds(hung) == ["pre_checkout_query"]
    finally:
        server.close()
