"""Completing a payment: credited exactly once, late payments honoured, underpayments flagged."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from application import commands as c
from application.credits import get_statement
from domain import events
from domain.errors import SessionNotFound
from domain.money import CryptoAmount, FiatAmount, Stars
from domain.providers import Provider
from domain.sessions import SessionStatus

STARS, CRYPTO = Provider.TELEGRAM_STARS, Provider.CRYPTOPAY
SUCCESS = "Payment received: 100 credits added. Your balance: {} credits."


def pay_stars(session_id: str, charge_id: str = "tg-1", stars: int = 50) -> c.CompletePayment:
    return c.CompletePayment(STARS, session_id, charge_id, Stars(stars), 777, 777)


def pay_ton(session_id: str, amount: str, charge_id: str = "1000") -> c.CompletePayment:
    return c.CompletePayment(CRYPTO, session_id, charge_id, CryptoAmount(Decimal(amount), "TON"),
                             exact=False)


class TestCompleteStarsPayment:
    async def test_a_payment_credits_the_package_and_tells_the_user(self, world) -> None:
        # Given
        view = await world.open_stars_session()
        # When
        outcome = await world.handle(pay_stars(view.id))
        # Then
        assert (outcome.credited, outcome.balance) == (True, 100)
        assert await world.balance("u1") == 100
        session = await world.session(view.id)
        assert (session.status, session.charge_id) == (SessionStatus.PAID, "tg-1")
        assert world.texts_to(777)[-1] == SUCCESS.format(100)

    async def test_the_statement_shows_the_purchase(self, world) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        # When
        [line] = await get_statement(world.deps, "u1")
        # Then
        assert (line.kind, line.amount, line.reference) == ("purchase", 100, view.id)

    async def test_a_duplicate_charge_credits_once_and_notifies_once(self, world) -> None:
        # Given
        view = await world.open_stars_session()
        await world.handle(pay_stars(view.id))
        # When Telegram delivers the same successful_payment again
        again = await world.handle(pay_stars(view.id))
        # Then
        assert again.credited is False
        assert again.rejected_reason is None
        assert await world.balance("u1") == 100
        assert world.texts_to(777).count(SUCCESS.format(100)) == 1
        assert len(await get_statement(world.deps, "u1")) == 1

    async def test_a_second_purchase_adds_up(self, world) -> None:
        # Given
        await world.buy()
        # When
        await world.buy()
        # Then
        assert await world.balance("u1") == 200
        assert world.texts_to(777)[-1] == SUCCESS.format(200)

    async def test_another_charge_on_a_paid_session_is_returned_not_kept(self, world) -> None:
        # Given two invoices of one session were both paid
        view = await world.open_stars_session()
        await world.handle(pay_stars(view.id, "tg-1"))
        # When the second charge arrives (twice: Telegram retries)
        extra = await world.handle(pay_stars(view.id, "tg-2"))
        again = await world.handle(pay_stars(view.id, "tg-2"))
        # Then it is not credited, the Stars go back once, and the user is told once
        assert not extra.credited and "already paid" in (extra.rejected_reason or "")
        assert not again.credited
        assert await world.balance("u1") == 100
        assert world.stars.refunded == ["tg-2"]
        assert sum("extra payment is being returned" in t for t in world.texts_to(777)) == 1

    async def test_a_payment_for_an_expired_session_is_still_honoured_as_late(self, world
                                                                              ) -> None:
        # Given the session expired and the expiry job ran
        late_flags: list[bool] = []

        async def record(event: events.Event) -> None:
            assert isinstance(event, events.PaymentCompleted)
            late_flags.append(event.late)

        world.bus.subscribe(events.PaymentCompleted, record)
        view = await world.open_stars_session()
        world.clock.advance(timedelta(hours=1))
        await world.handle(c.ExpireSessions())
        # When the money arrives anyway
        outcome = await world.handle(pay_stars(view.id))
        # Then
        assert outcome.credited
        assert await world.balance("u1") == 100
        assert (await world.session(view.id)).status is SessionStatus.PAID
        assert late_flags == [True]

    async def test_an_unknown_session_is_not_found_and_nothing_is_credited(self, world) -> None:
        # When / Then
        with pytest.raises(SessionNotFound):
            await world.handle(pay_stars("nope"))
        async with world.deps.uow() as uow:
            assert await uow.ledger.total() == 0
            assert await uow.ledger.balance("sales:telegram_stars") == 0

    async def test_a_wrong_stars_amount_is_flagged_and_not_credited(self, world) -> None:
        # Given
        view = await world.open_stars_session()
        # When
        outcome = await world.handle(pay_stars(view.id, stars=49))
        # Then
        assert outcome.credited is False
        assert outcome.rejected_reason
        assert await world.balance("u1") == 0
        assert (await world.session(view.id)).status is SessionStatus.FAILED

    async def test_the_chat_of_the_payment_is_told_even_if_the_session_was_never_linked(
            self, world) -> None:
        # Given a session created by the host app and paid through the invoice link
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        # When
        await world.handle(c.CompletePayment(STARS, view.id, "tg-1", Stars(50), 900, 900))
        # Then
        assert world.texts_to(900) == [SUCCESS.format(100)]


class TestCompleteCryptoPayment:
    async def test_an_exact_payment_credits_into_the_crypto_sales_account(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO, telegram_user_id=900))
        # When
        outcome = await world.handle(pay_ton(view.id, "1.5"))
        # Then
        assert outcome.credited
        assert world.texts_to(900) == [SUCCESS.format(100)]
        async with world.deps.uow() as uow:
            assert await uow.ledger.balance("sales:cryptopay") == -100

    async def test_an_overpayment_is_accepted(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        # When / Then
        assert (await world.handle(pay_ton(view.id, "2"))).credited
        assert await world.balance("u1") == 100

    async def test_a_fiat_invoice_paid_in_full_is_credited(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "pro", CRYPTO))
        # When
        outcome = await world.handle(c.CompletePayment(
            CRYPTO, view.id, "1000", FiatAmount(Decimal("9.99"), "USD"), exact=False))
        # Then
        assert outcome.credited
        assert await world.balance("u1") == 500

    async def test_an_underpayment_is_flagged_not_credited_and_the_user_told(self, world
                                                                             ) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO, telegram_user_id=900))
        # When
        outcome = await world.handle(pay_ton(view.id, "1.49"))
        # Then
        assert outcome.credited is False
        assert "1.49 TON" in (outcome.rejected_reason or "")
        assert await world.balance("u1") == 0
        session = await world.session(view.id)
        assert session.status is SessionStatus.FAILED
        assert session.failure_reason == outcome.rejected_reason
        assert world.texts_to(900) == [
            f"We could not accept this payment: {outcome.rejected_reason}"]

    async def test_a_replayed_underpayment_tells_the_user_once(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO, telegram_user_id=900))
        await world.handle(pay_ton(view.id, "1.49"))
        # When Crypto Pay delivers the same webhook again
        await world.handle(pay_ton(view.id, "1.49"))
        # Then
        assert len(world.texts_to(900)) == 1

    async def test_a_full_payment_after_an_underpayment_is_credited(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        await world.handle(pay_ton(view.id, "1", charge_id="1000"))
        # When
        outcome = await world.handle(pay_ton(view.id, "1.5", charge_id="1001"))
        # Then
        assert outcome.credited
        assert await world.balance("u1") == 100
