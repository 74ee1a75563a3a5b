"""Refunds (by an admin, or reported by the provider) and spending credits idempotently."""

from __future__ import annotations

import pytest

from starport.application import commands as c
from starport.application.credits import get_balance, get_statement
from starport.application.ports import PaidTransaction, ProviderRefused
from starport.domain.charges import ChargeStatus
from starport.domain.errors import (
    IdempotencyConflict,
    InsufficientCredits,
    InvalidAmount,
    PayerUnknown,
    RefundNotAllowed,
    SessionNotFound,
)
from starport.domain.money import Stars
from starport.domain.providers import Provider
from starport.domain.sessions import SessionStatus

STARS, CRYPTO = Provider.TELEGRAM_STARS, Provider.CRYPTOPAY


def spend(credits: int, key: str, user_id: str = "u1") -> c.SpendCredits:
    return c.SpendCredits(user_id, credits, key, "generation")


class TestAdminRefund:
    async def test_an_admin_refund_returns_the_money_and_takes_the_credits_back(self, world
                                                                                ) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        # When
        result = await world.handle(c.RefundPayment(view.id, "admin:ann", "asked by user"))
        # Then
        assert world.stars.refunded == ["tg-1"]
        assert (result.credits, result.debt, result.already_refunded) == (100, 0, False)
        assert await world.balance("u1") == 0
        assert (await world.session(view.id)).status is SessionStatus.REFUNDED
        assert world.texts_to(777)[-1] == (
            "Your payment was refunded; 100 credits were removed. Balance: 0.")
        lines = await get_statement(world.deps, "u1")
        assert [(line.kind, line.amount) for line in lines] == [("refund", -100),
                                                                ("purchase", 100)]

    async def test_refused_when_the_user_spent_the_credits(self, world) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        await world.handle(spend(30, "k1"))
        # When
        with pytest.raises(InsufficientCredits):
            await world.handle(c.RefundPayment(view.id, "admin:ann"))
        # Then the money was not returned and nothing changed
        assert world.stars.refunded == []
        assert await world.balance("u1") == 70
        assert (await world.session(view.id)).status is SessionStatus.PAID

    async def test_allowed_into_a_visible_debt_when_the_admin_says_so(self, world) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        await world.handle(spend(30, "k1"))
        # When
        result = await world.handle(c.RefundPayment(view.id, "admin:ann", allow_debt=True))
        # Then
        assert world.stars.refunded == ["tg-1"]
        assert result.debt == 30
        balance = await get_balance(world.deps, "u1")
        assert (balance.balance, balance.debt) == (-30, 30)

    async def test_refunding_twice_is_a_no_op(self, world) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        await world.handle(c.RefundPayment(view.id, "admin:ann"))
        sent = len(world.messenger.messages)
        # When
        again = await world.handle(c.RefundPayment(view.id, "admin:ann"))
        # Then
        assert again.already_refunded
        assert world.stars.refunded == ["tg-1"]
        assert await world.balance("u1") == 0
        assert len(world.messenger.messages) == sent

    async def test_an_unpaid_session_cannot_be_refunded(self, world) -> None:
        # Given
        view = await world.open_stars_session()
        # When / Then
        with pytest.raises(RefundNotAllowed):
            await world.handle(c.RefundPayment(view.id, "admin:ann"))
        assert world.stars.refunded == []

    async def test_an_unknown_session_is_not_found(self, world) -> None:
        with pytest.raises(SessionNotFound):
            await world.handle(c.RefundPayment("nope", "admin:ann"))



class TestCryptoPayRefund:
    """Crypto Pay refunds are transfers of what was paid, to the Telegram user who paid."""

    async def crypto_purchase(self, world, telegram_user_id=None):
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO,
                                                  telegram_user_id=telegram_user_id))
        paid = world.crypto.pay("1000", world.clock.now())  # what Crypto Pay holds as paid
        await world.handle(c.CompletePayment(CRYPTO, view.id, "1000", paid.paid))
        return view, paid

    async def test_the_payer_who_opened_the_session_gets_a_transfer_once(self, world) -> None:
        # Given a Crypto Pay purchase opened from Telegram user 777
        view, paid = await self.crypto_purchase(world, telegram_user_id=777)
        # When the admin refunds it twice
        first = await world.handle(c.RefundPayment(view.id, "admin:ann"))
        again = await world.handle(c.RefundPayment(view.id, "admin:ann"))
        # Then one transfer of what was paid went to 777, and the credits came back out once
        assert world.crypto.transfers == {"1000": (777, paid.paid)}
        assert (first.already_refunded, again.already_refunded) == (False, True)
        assert await world.balance("u1") == 0
        assert (await world.session(view.id)).status is SessionStatus.REFUNDED

    async def test_an_unknown_payer_is_refused_until_the_admin_names_them(self, world) -> None:
        # Given a host app's session, paid by URL: nobody known paid it
        view, _ = await self.crypto_purchase(world)
        # When / Then
        with pytest.raises(PayerUnknown):
            await world.handle(c.RefundPayment(view.id, "admin:ann"))
        assert world.crypto.transfers == {}
        assert await world.balance("u1") == 100
        await world.handle(c.RefundPayment(view.id, "admin:ann", telegram_user_id=4242))
        assert world.crypto.transfers["1000"][0] == 4242

    async def test_the_users_only_linked_telegram_account_is_the_payer(self, world) -> None:
        # Given u1 linked to Telegram user 555, and a session the host app opened
        await world.handle(c.LinkTelegram("u1", 555))
        view, _ = await self.crypto_purchase(world)
        # When
        await world.handle(c.RefundPayment(view.id, "admin:ann"))
        # Then
        assert world.crypto.transfers["1000"][0] == 555

    async def test_a_named_payer_other_than_the_known_one_is_refused(self, world) -> None:
        view, _ = await self.crypto_purchase(world, telegram_user_id=777)
        with pytest.raises(RefundNotAllowed):
            await world.handle(c.RefundPayment(view.id, "admin:ann", telegram_user_id=4242))
        assert world.crypto.transfers == {}
        assert await world.balance("u1") == 100

    async def test_a_refused_transfer_leaves_everything_as_it_was(self, world) -> None:
        # Given transfers are not enabled in the Crypto Pay app
        view, _ = await self.crypto_purchase(world, telegram_user_id=777)
        world.crypto.transfers_enabled = False
        # When / Then
        with pytest.raises(ProviderRefused) as refused:
            await world.handle(c.RefundPayment(view.id, "admin:ann"))
        assert "transfers are not enabled" in str(refused.value)
        assert await world.balance("u1") == 100
        assert (await world.session(view.id)).status is SessionStatus.PAID


class TestRecordedRefund:
    """A refund the operator made outside Starport (a provider with no refund method, or a
    Crypto Pay transfer sent from the wallet by hand)."""

    async def test_it_takes_the_credits_back_once(self, world) -> None:
        # Given a Crypto Pay purchase, returned by transfer
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        await world.handle(c.CompletePayment(CRYPTO, view.id, "1000",
                                             world.crypto.invoices["1000"].price))
        # When the admin records it, twice
        first = await world.handle(c.RecordRefund(view.id, "admin:ann", "sent back in TON"))
        again = await world.handle(c.RecordRefund(view.id, "admin:ann", "sent back in TON"))
        # Then the credits came back out once
        assert (first.credits, first.already_refunded) == (100, False)
        assert again.already_refunded
        assert await world.balance("u1") == 0
        assert (await world.session(view.id)).status is SessionStatus.REFUNDED

    async def test_a_provider_starport_refunds_through_cannot_be_recorded(self, world) -> None:
        # Given a Stars purchase
        view = await world.buy(charge_id="tg-1")
        # When the admin tries to record a refund instead of making it
        with pytest.raises(RefundNotAllowed):
            await world.handle(c.RecordRefund(view.id, "admin:ann"))
        # Then nothing changed
        assert await world.balance("u1") == 100
        assert (await world.session(view.id)).status is SessionStatus.PAID

    async def test_spent_credits_need_allow_debt(self, world) -> None:
        # Given a Crypto Pay purchase whose credits were spent
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        await world.handle(c.CompletePayment(CRYPTO, view.id, "1000",
                                             world.crypto.invoices["1000"].price))
        await world.handle(spend(80, "k1"))
        # When / Then
        with pytest.raises(InsufficientCredits):
            await world.handle(c.RecordRefund(view.id, "admin:ann"))
        result = await world.handle(c.RecordRefund(view.id, "admin:ann", allow_debt=True))
        assert result.debt == 80


class TestProviderRefund:
    async def test_a_provider_refund_is_always_recorded_and_the_debt_is_visible(self, world
                                                                                ) -> None:
        # Given the user spent most of the credits
        view = await world.buy(charge_id="tg-1")
        await world.handle(spend(80, "k1"))
        # When Telegram reports the refund
        result = await world.handle(c.RecordProviderRefund(STARS, "tg-1", view.id, "dispute"))
        # Then
        assert (result.debt, result.already_refunded) == (80, False)
        balance = await get_balance(world.deps, "u1")
        assert (balance.balance, balance.debt) == (-80, 80)
        assert (await world.session(view.id)).status is SessionStatus.REFUNDED
        assert world.stars.refunded == []  # the provider did it, we did not ask
        assert world.texts_to(777)[-1] == (
            "Your payment was refunded; 100 credits were removed. Balance: -80.")

    async def test_a_user_in_debt_cannot_spend_until_a_purchase_covers_it(self, world) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        await world.handle(spend(80, "k1"))
        await world.handle(c.RecordProviderRefund(STARS, "tg-1", view.id))
        # When / Then
        with pytest.raises(InsufficientCredits):
            await world.handle(spend(1, "k2"))
        await world.buy(charge_id="tg-2")
        assert await world.balance("u1") == 20

    async def test_a_reported_refund_twice_is_a_no_op(self, world) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        await world.handle(c.RecordProviderRefund(STARS, "tg-1", view.id))
        # When
        again = await world.handle(c.RecordProviderRefund(STARS, "tg-1", view.id))
        # Then
        assert again.already_refunded
        assert await world.balance("u1") == 0

    async def test_a_reported_refund_after_an_admin_refund_is_a_no_op(self, world) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        await world.handle(c.RefundPayment(view.id, "admin:ann"))
        # When
        again = await world.handle(c.RecordProviderRefund(STARS, "tg-1", view.id))
        # Then
        assert again.already_refunded
        assert await world.balance("u1") == 0

    async def test_a_refund_of_another_charge_is_refused(self, world) -> None:
        # Given
        view = await world.buy(charge_id="tg-1")
        # When / Then
        with pytest.raises(RefundNotAllowed):
            await world.handle(c.RecordProviderRefund(STARS, "tg-other", view.id))
        assert await world.balance("u1") == 100

    async def test_a_refund_before_the_payment_was_credited_is_kept_so_it_is_never_credited(
            self, world) -> None:
        # Given the successful_payment update was lost, and Telegram then refunded the charge
        view = await world.open_stars_session()
        result = await world.handle(c.RecordProviderRefund(
            STARS, "tg-lost", view.id, "refunded by Telegram", paid=Stars(50),
            payer_telegram_id=777))
        # When reconciliation finds the charge in Telegram's transaction list
        world.stars.record_payment(PaidTransaction("tg-lost", view.id, Stars(50),
                                                   world.clock.now(), 777))
        counts = await world.handle(c.Reconcile(STARS))
        # Then nothing is credited, nobody is told of a payment, and the charge says why
        assert (result.credits, result.debt, result.already_refunded) == (0, 0, False)
        assert counts["credited"] == 0
        assert await world.balance("u1") == 0
        assert not any(t.startswith("Payment received") for t in world.texts_to(777))
        async with world.deps.uow(read_only=True) as uow:
            charge = await uow.charges.get(STARS, "tg-lost")
        assert charge is not None and charge.status is ChargeStatus.REFUNDED_BEFORE_CREDIT
        assert (await world.session(view.id)).status is SessionStatus.INVOICED

    async def test_a_refund_of_a_returned_extra_charge_takes_no_credits(self, world) -> None:
        # Given a paid session, and a second charge for it that was sent back
        view = await world.buy(charge_id="tg-1")
        await world.handle(c.CompletePayment(STARS, view.id, "tg-2", Stars(50), 777, 777))
        # When Telegram reports that charge refunded
        result = await world.handle(c.RecordProviderRefund(STARS, "tg-2", view.id))
        again = await world.handle(c.RecordProviderRefund(STARS, "tg-2", view.id))
        # Then the purchase stands
        assert (result.credits, result.already_refunded) == (0, False)
        assert again.already_refunded
        assert await world.balance("u1") == 100
        assert (await world.session(view.id)).status is SessionStatus.PAID

    async def test_a_refund_without_a_session_is_not_found(self, world) -> None:
        with pytest.raises(SessionNotFound):
            await world.handle(c.RecordProviderRefund(STARS, "tg-1", None))


class TestSpend:
    async def test_a_spend_takes_credits_and_a_replay_takes_nothing_more(self, world) -> None:
        # Given
        await world.buy()
        # When
        first = await world.handle(spend(30, "gen-1"))
        replay = await world.handle(spend(30, "gen-1"))
        # Then
        assert (first.balance, first.replayed) == (70, False)
        assert (replay.balance, replay.replayed) == (70, True)
        assert await world.balance("u1") == 70
        kinds = [line.kind for line in await get_statement(world.deps, "u1")]
        assert kinds == ["spend", "purchase"]

    async def test_a_reused_key_with_another_amount_is_a_conflict(self, world) -> None:
        # Given
        await world.buy()
        await world.handle(spend(30, "gen-1"))
        # When / Then
        with pytest.raises(IdempotencyConflict):
            await world.handle(spend(31, "gen-1"))
        assert await world.balance("u1") == 70

    async def test_the_same_key_for_two_users_is_two_spends(self, world) -> None:
        # Given
        await world.buy("u1", telegram_user_id=777)
        await world.buy("u2", telegram_user_id=778)
        await world.handle(spend(10, "gen-1", "u1"))
        # When / Then
        assert not (await world.handle(spend(10, "gen-1", "u2"))).replayed
        assert (await world.balance("u1"), await world.balance("u2")) == (90, 90)

    async def test_insufficient_credits_change_nothing(self, world) -> None:
        # Given
        await world.buy()
        # When
        with pytest.raises(InsufficientCredits):
            await world.handle(spend(101, "gen-1"))
        # Then
        assert await world.balance("u1") == 100
        assert [line.kind for line in await get_statement(world.deps, "u1")] == ["purchase"]
        # and the key was not used up
        assert not (await world.handle(spend(100, "gen-1"))).replayed

    async def test_a_user_without_credits_cannot_spend(self, world) -> None:
        # When / Then
        with pytest.raises(InsufficientCredits):
            await world.handle(spend(1, "gen-1", "newcomer"))
        assert (await get_balance(world.deps, "newcomer")).balance == 0

    @pytest.mark.parametrize("credits", [0, -5, True])
    async def test_only_a_positive_whole_number_of_credits_can_be_spent(self, world,
                                                                       credits: int) -> None:
        # Given
        await world.buy()
        # When / Then
        with pytest.raises(InvalidAmount):
            await world.handle(spend(credits, "gen-1"))
        assert await world.balance("u1") == 100

    async def test_a_too_long_key_is_refused(self, world) -> None:
        # Given
        await world.buy()
        # When / Then
        with pytest.raises(InvalidAmount):
            await world.handle(spend(1, "k" * 300))
        assert await world.balance("u1") == 100
