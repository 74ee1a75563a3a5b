"""`starport poll` against the sandbox: a purchase end to end through getUpdates, and a crash
in the middle neither loses nor repeats an update."""

from __future__ import annotations

import asyncio

import pytest
from tests.integration.starport_live import Live, live_starport

from starport.domain import ledger
from starport.entrypoints.telegram import polling

ANN = 7_400_000_001


class Crash(BaseException):
    """The process dies: nothing in the loop catches it."""


async def poll_once(live: Live, timeout: int = 0) -> int:
    """A fresh poll loop (as after a restart): one getUpdates answer, then it stops."""
    return await polling.poll(live.runtime, timeout=timeout, max_batches=1)


async def balance(live: Live, user_id: str) -> int:
    async with live.runtime.deps.uow() as uow:
        return await uow.ledger.balance(ledger.user_account(user_id))


async def test_polling_refuses_while_a_webhook_is_set(database_url: str) -> None:
    async with live_starport(database_url) as live:  # the sandbox webhook is set at start
        with pytest.raises(polling.WebhookIsSet):
            await polling.prepare(live.runtime, delete_webhook=False)
        await polling.prepare(live.runtime, delete_webhook=True)
        info = await live.runtime.telegram.get_webhook_info()
        assert not info.get("url")


async def test_a_purchase_by_polling_survives_a_crash_in_the_middle(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with live_starport(database_url) as live:
        await polling.prepare(live.runtime, delete_webhook=True)
        actor = live.actor
        actor.create_user(ANN, "Ann")
        # Given Ann buys from the chat with /buy and a button, each update fetched by polling
        await actor.send_text(ANN, "/buy")
        assert await poll_once(live) == 1
        await actor.press_button(ANN, callback_data="buy:starter")
        assert await poll_once(live) == 1
        assert len([m for m in actor.messages(ANN) if "invoice" in m]) == 1
        # and pays: Telegram waits for the pre-checkout answer, which polling gives
        paying = asyncio.create_task(actor.pay_invoice(ANN))
        assert await poll_once(live, timeout=10) == 1
        paid = await paying
        assert paid.ok
        # When the process dies after crediting the payment but before storing the offset
        real_save = polling._save_offset

        async def die(runtime: object, offset: int) -> None:
            raise Crash

        monkeypatch.setattr(polling, "_save_offset", die)
        with pytest.raises(Crash):
            await poll_once(live)
        monkeypatch.setattr(polling, "_save_offset", real_save)
        assert await balance(live, str(ANN)) == 100
        # Then the restarted loop gets the same update again and changes nothing
        assert await poll_once(live) == 1
        assert await poll_once(live) == 0  # nothing left, nothing skipped
        await live.settle()
        assert await balance(live, str(ANN)) == 100
        successes = [t for t in live.texts_to(ANN) if t.startswith("Payment received")]
        assert len(successes) == 1
        charge = paid.telegram_payment_charge_id
        assert charge is not None
        deliveries = await live.webhooks(chargeId=charge)
        assert [e["outcome"] for e in deliveries] == ["credited"]  # its repeat stored nothing
        # and every update that wrote was stored once: /buy, the button, the payment (the
        # approved pre-checkout writes nothing)
        outcomes = sorted(e["outcome"] for e in await live.webhooks(source="telegram"))
        assert outcomes == ["buy", "buy_menu", "credited"]
