"""Completing a payment: each charge judged once (credited, replayed, rejected, returned),
late payments honoured, underpayments flagged, money for no session kept for a human."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from starport.adapters.memory.providers import FakeCryptoInvoice
from starport.application import commands as c
from starport.application.credits import get_statement
from starport.application.deliveries import Delivery
from starport.application.effects import RefundCharge
from starport.domain.charges import Charge, ChargeStatus, Decision
from starport.domain.money import CryptoAmount, FiatAmount, Stars
from starport.domain.providers import Provider
from starport.domain.sessions import SessionStatus

STARS, CRYPTO = Provider.TELEGRAM_STARS, Provider.CRYPTOPAY
SUCCESS = "Payment received: 100 credits added. Your balance: {} credits."


def pay_stars(session_id: str, charge_id: str = "tg-1", stars: int = 50,
              delivery: Delivery | None = None) -> c.CompletePayment:
    return c.CompletePayment(STARS, session_id, charge_id, Stars(stars), 777, 777,
                             delivery=delivery)


def pay_ton(session_id: str, amount: str, charge_id: str = "1000",
            delivery: Delivery | None = None) -> c.CompletePayment:
    return c.CompletePayment(CRYPTO, session_id, charge_id, CryptoAmount(Decimal(amount), "TON"),
                             delivery=delivery)


async def stored_charge(world, charge_id: str, provider: Provider = STARS) -> Charge:
    async with world.deps.uow(read_only=True) as uow:
        charge = await uow.charges.get(provider, charge_id)
    assert charge is not None
    return charge


def refunds_queued(world) -> list[RefundCharge]:
    return [i.effect for i in world.outbox() if isinstance(i.effect, RefundCharge)]


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
        assert (again.decision, again.rejected_reason) == (Decision.REPLAY, None)
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
        assert extra.decision is Decision.RETURN_EXTRA
        assert not extra.credited and "already paid" in (extra.rejected_reason or "")
        assert (again.decision, again.credited) == (Decision.REPLAY, False)
        assert await world.balance("u1") == 100
        assert refunds_queued(world) == [RefundCharge(STARS, "tg-2", 777)]
        assert world.stars.refunded == ["tg-2"]
        assert sum("extra payment is being returned" in t for t in world.texts_to(777)) == 1
        assert (await stored_charge(world, "tg-2")).status is ChargeStatus.RETURNED
        assert (await world.session(view.id)).charge_id == "tg-1"

    async def test_a_payment_for_an_expired_session_is_still_honoured_as_late(self, world
                                                                              ) -> None:
        # Given the session expired and the expiry job ran
        view = await world.open_stars_session()
        world.clock.advance(timedelta(hours=1))
        await world.handle(c.ExpireSessions())
        # When the money arrives anyway
        outcome = await world.handle(pay_stars(view.id))
        # Then
        assert (outcome.credited, outcome.decision) == (True, Decision.CREDIT)
        assert await world.balance("u1") == 100
        session = await world.session(view.id)
        assert (session.status, session.paid_at) == (SessionStatus.PAID, world.clock.now())
        assert world.texts_to(777)[-1] == SUCCESS.format(100)

    async def test_money_for_an_unknown_session_is_kept_unmatched_and_nothing_credited(
            self, world) -> None:
        # When
        outcome = await world.handle(pay_stars("nope"))
        again = await world.handle(pay_stars("nope"))
        # Then
        assert (outcome.credited, outcome.decision) == (False, Decision.UNMATCHED)
        assert outcome.label == again.label == "refused:session_not_found"
        charge = await stored_charge(world, "tg-1")
        assert (charge.status, charge.session_id) == (ChargeStatus.UNMATCHED, None)
        async with world.deps.uow() as uow:
            assert await uow.ledger.total() == 0
            assert await uow.ledger.balance("sales:telegram_stars") == 0
        assert world.messenger.messages == []

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
            CRYPTO, view.id, "1000", FiatAmount(Decimal("9.99"), "USD")))
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

    async def test_a_replayed_underpayment_stays_rejected_and_tells_the_user_once(self, world
                                                                                  ) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO, telegram_user_id=900))
        first = await world.handle(pay_ton(view.id, "1.49",
                                           delivery=world.delivery("1", "cryptopay")))
        # When Crypto Pay reports the same invoice again, in another delivery
        again = await world.handle(pay_ton(view.id, "1.49",
                                           delivery=world.delivery("2", "cryptopay")))
        # Then
        assert not again.credited
        assert again.rejected_reason == first.rejected_reason
        assert again.label == first.label == "rejected"
        assert len(world.texts_to(900)) == 1
        assert (await stored_charge(world, "1000", CRYPTO)).status is ChargeStatus.REJECTED
        assert [d.outcome for d in world.deliveries()] == ["rejected", "rejected"]

    async def test_a_full_payment_after_an_underpayment_is_credited(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        await world.handle(pay_ton(view.id, "1", charge_id="1000"))
        # When
        outcome = await world.handle(pay_ton(view.id, "1.5", charge_id="1001"))
        # Then
        assert outcome.credited
        assert await world.balance("u1") == 100


class TestChargesReplayed:
    async def test_a_charge_replayed_by_another_delivery_credits_and_sends_nothing(self, world
                                                                                  ) -> None:
        # Given a payment credited from its webhook delivery
        view = await world.open_stars_session()
        first = await world.handle(pay_stars(view.id, delivery=world.delivery(
            "1", charge_id="tg-1", session_id=view.id)))
        sent, queued = list(world.messenger.messages), len(world.outbox())
        # When the same charge comes in another update (or from getUpdates after a restart)
        again = await world.handle(pay_stars(view.id, delivery=world.delivery(
            "2", charge_id="tg-1", session_id=view.id)))
        # Then
        assert first.credited
        assert (again.decision, again.credited, again.credits) == (Decision.REPLAY, False, 0)
        assert await world.balance("u1") == 100
        assert world.messenger.messages == sent
        assert len(world.outbox()) == queued
        assert [(d.update_id, d.outcome) for d in world.deliveries()] == [
            ("1", "credited"), ("2", "already_credited")]

    async def test_an_extra_charge_is_returned_once_and_its_replay_queues_nothing(self, world
                                                                                  ) -> None:
        # Given a paid session
        view = await world.open_stars_session()
        await world.handle(pay_stars(view.id, "tg-1"))
        # When a second charge for it arrives, then again from another delivery
        extra = await world.handle(pay_stars(view.id, "tg-2", delivery=world.delivery("1")))
        queued = len(world.outbox())
        replay = await world.handle(pay_stars(view.id, "tg-2", delivery=world.delivery("2")))
        # Then one RefundCharge was queued, for that charge, and nothing more
        assert extra.decision is Decision.RETURN_EXTRA
        assert refunds_queued(world) == [RefundCharge(STARS, "tg-2", 777)]
        assert (replay.decision, replay.credited) == (Decision.REPLAY, False)
        assert replay.rejected_reason == extra.rejected_reason
        assert len(world.outbox()) == queued
        assert world.stars.refunded == ["tg-2"]
        assert await world.balance("u1") == 100

    async def test_an_extra_crypto_charge_is_returned_by_transfer(self, world) -> None:
        # Given a paid Crypto Pay session opened from Telegram user 900, and a second invoice
        # for it (a retried createInvoice) that was paid too
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO, telegram_user_id=900))
        await world.handle(pay_ton(view.id, "1.5", charge_id="1000"))
        price = world.crypto.invoices["1000"].price
        world.crypto.invoices["1001"] = FakeCryptoInvoice("1001", view.id, price)
        paid = world.crypto.pay("1001", world.clock.now())
        # When that payment is reported for it
        extra = await world.handle(pay_ton(view.id, "1.5", charge_id="1001"))
        # Then nothing is credited and the extra payment goes back to the payer by transfer
        assert extra.decision is Decision.RETURN_EXTRA
        assert "being returned" in (extra.rejected_reason or "")
        assert refunds_queued(world) == [RefundCharge(CRYPTO, "1001", 900)]
        assert world.crypto.transfers == {"1001": (900, paid.paid)}
        assert await world.balance("u1") == 100
        assert (await stored_charge(world, "1001", CRYPTO)).status is ChargeStatus.RETURNED

    async def test_an_extra_crypto_charge_of_an_unknown_payer_is_left_for_a_manual_return(
            self, world) -> None:
        # Given a paid Crypto Pay session the host app opened (nobody known paid it)
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        await world.handle(pay_ton(view.id, "1.5", charge_id="1000"))
        # When another invoice's payment is reported for it
        extra = await world.handle(pay_ton(view.id, "1.5", charge_id="1001"))
        # Then nothing is credited, no refund is tried: support returns it
        assert extra.decision is Decision.RETURN_EXTRA
        assert "support will return" in (extra.rejected_reason or "")
        assert refunds_queued(world) == []
        assert world.crypto.transfers == {}
        assert await world.balance("u1") == 100
        assert (await stored_charge(world, "1001", CRYPTO)).status is ChargeStatus.RETURNED

    async def test_an_unbound_invoice_link_paid_twice_returns_the_second_payers_charge(
            self, world) -> None:
        # Given a session paid through its invoice link by one Telegram user
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        await world.handle(c.CompletePayment(STARS, view.id, "tg-1", Stars(50), 900, 900))
        # When a second user paid the same link
        extra = await world.handle(c.CompletePayment(STARS, view.id, "tg-2", Stars(50), 901, 901))
        # Then the session belongs to the first payer, and the second gets the Stars back
        assert extra.decision is Decision.RETURN_EXTRA
        assert (await world.session(view.id)).telegram_user_id == 900
        assert refunds_queued(world) == [RefundCharge(STARS, "tg-2", 901)]
        assert world.stars.refunded == ["tg-2"]
        assert await world.balance("u1") == 100
