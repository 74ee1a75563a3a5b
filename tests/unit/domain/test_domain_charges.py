"""Charges and what a session decides a newly reported one means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from starport.domain.catalog import CreditPackage
from starport.domain.charges import Charge, ChargeStatus, Decision
from starport.domain.errors import InvalidAmount, InvalidTransition
from starport.domain.money import CryptoAmount, FiatAmount, Price, Stars, price_from_minor_units
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession, SessionStatus

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)
TON = CryptoAmount(Decimal("1.5"), "TON")
PACKAGE = CreditPackage("starter", "Starter", 100, Stars(50), TON)
MONTHLY = CreditPackage("monthly", "Monthly", 300, Stars(250), subscription=True)
FIFTY = Stars(50)


def session(provider: Provider = Provider.TELEGRAM_STARS, package: CreditPackage = PACKAGE,
            telegram_user_id: int | None = None) -> PaymentSession:
    return PaymentSession.open(session_id="s1", user_id="u1", package=package, provider=provider,
                               now=NOW, expires_at=NOW + TTL, telegram_user_id=telegram_user_id)


def charge(charge_id: str = "c1", paid: Price = FIFTY, payer: int | None = 777,
           provider: Provider = Provider.TELEGRAM_STARS) -> Charge:
    return Charge(provider=provider, charge_id=charge_id, session_id="s1", paid=paid,
                  reported_at=NOW, payer_telegram_id=payer)


class TestTake:
    def test_the_first_charge_at_the_price_is_credited_and_pays_the_session(self) -> None:
        # Given an open session
        s, c = session(), charge()
        # When its first charge is reported
        decision = s.take(c, earlier=None, now=NOW)
        # Then it is credited, and the session is paid by it
        assert decision is Decision.CREDIT
        assert c.status is ChargeStatus.CREDITED
        assert (s.status, s.charge_id, s.paid_at) == (SessionStatus.PAID, "c1", NOW)

    def test_an_unbound_session_is_bound_to_who_paid_it(self) -> None:
        s = session()
        s.take(charge(payer=901), earlier=None, now=NOW)
        assert s.telegram_user_id == 901

    def test_a_charge_seen_before_is_a_replay_and_changes_nothing(self) -> None:
        s, first = session(), charge()
        s.take(first, earlier=None, now=NOW)
        again = charge()
        assert s.take(again, earlier=first, now=NOW) is Decision.REPLAY
        assert again.status is ChargeStatus.REPORTED  # not judged twice
        assert s.charge_id == "c1"

    def test_the_sessions_own_charge_without_a_stored_row_is_still_a_replay(self) -> None:
        s = session()
        s.mark_paid(charge_id="c1", paid=Stars(50), now=NOW)  # paid before charges were stored
        assert s.take(charge(), earlier=None, now=NOW) is Decision.REPLAY

    @pytest.mark.parametrize("paid", [Stars(49), Stars(51), FiatAmount(Decimal("50"), "USD")])
    def test_a_wrong_amount_is_rejected_and_fails_the_session(self, paid: Price) -> None:
        s, c = session(), charge(paid=paid)
        assert s.take(c, earlier=None, now=NOW) is Decision.REJECT
        assert c.status is ChargeStatus.REJECTED and c.reason
        assert s.status is SessionStatus.FAILED and s.charge_id is None

    def test_a_crypto_overpayment_is_credited_when_the_provider_may_overpay(self) -> None:
        s = session(Provider.CRYPTOPAY)
        c = charge("1000", CryptoAmount(Decimal("1.6"), "TON"), None, Provider.CRYPTOPAY)
        assert s.take(c, earlier=None, now=NOW, exact=False) is Decision.CREDIT

    @pytest.mark.parametrize("status", [SessionStatus.EXPIRED, SessionStatus.CANCELLED,
                                        SessionStatus.FAILED])
    def test_money_for_a_closed_session_is_still_credited(self, status: SessionStatus) -> None:
        s = session()
        if status is SessionStatus.EXPIRED:
            s.expire(NOW + TTL)
        elif status is SessionStatus.CANCELLED:
            s.cancel()
        else:
            s.fail("earlier underpayment")
        assert s.take(charge(), earlier=None, now=NOW + TTL) is Decision.CREDIT

    @pytest.mark.parametrize("refunded", [False, True])
    def test_a_second_charge_for_a_paid_purchase_is_returned(self, refunded: bool) -> None:
        s = session()
        s.take(charge(), earlier=None, now=NOW)
        if refunded:
            s.mark_refunded(NOW)
        extra = charge("c2")
        assert s.take(extra, earlier=None, now=NOW) is Decision.RETURN_EXTRA
        assert extra.status is ChargeStatus.RETURNED
        assert s.charge_id == "c1"

    def test_a_later_charge_of_a_subscription_is_a_renewal(self) -> None:
        s = session(package=MONTHLY)
        s.take(charge(paid=Stars(250)), earlier=None, now=NOW)
        renewal = charge("c2", Stars(250))
        assert s.take(renewal, earlier=None, now=NOW) is Decision.RENEWAL
        assert renewal.status is ChargeStatus.CREDITED
        assert (s.status, s.charge_id) == (SessionStatus.PAID, "c1")

    def test_a_renewal_at_the_wrong_price_is_rejected_and_the_session_stays_paid(self) -> None:
        s = session(package=MONTHLY)
        s.take(charge(paid=Stars(250)), earlier=None, now=NOW)
        renewal = charge("c2", Stars(1))
        assert s.take(renewal, earlier=None, now=NOW) is Decision.REJECT
        assert renewal.status is ChargeStatus.REJECTED
        assert s.status is SessionStatus.PAID

    def test_a_refunded_subscription_returns_a_later_charge(self) -> None:
        s = session(package=MONTHLY)
        s.take(charge(paid=Stars(250)), earlier=None, now=NOW)
        s.mark_refunded(NOW)
        assert s.take(charge("c2", Stars(250)), earlier=None, now=NOW) is Decision.RETURN_EXTRA


class TestCharge:
    def test_a_charge_is_settled_once(self) -> None:
        c = charge()
        c.settle(ChargeStatus.REJECTED, "wrong amount")
        with pytest.raises(InvalidTransition):
            c.settle(ChargeStatus.CREDITED)

    def test_a_credited_charge_refunded_is_refunded(self) -> None:
        c = charge()
        c.settle(ChargeStatus.CREDITED)
        assert c.refund() is True
        assert c.status is ChargeStatus.REFUNDED
        assert c.refund() is False

    @pytest.mark.parametrize("status", [ChargeStatus.REJECTED, ChargeStatus.RETURNED])
    def test_money_never_credited_refunded_stays_never_credited(self, status: ChargeStatus
                                                                ) -> None:
        c = charge()
        c.settle(status, "why")
        assert c.refund() is True
        assert c.status is ChargeStatus.REFUNDED_BEFORE_CREDIT


class TestMinorUnits:
    @pytest.mark.parametrize(("currency", "total", "price"), [
        ("XTR", 50, Stars(50)),
        ("USD", 1999, FiatAmount(Decimal("19.99"), "USD")),
        ("EUR", 5, FiatAmount(Decimal("0.05"), "EUR")),
        ("JPY", 1500, FiatAmount(Decimal("1500"), "JPY")),
        ("KWD", 1234, FiatAmount(Decimal("1.234"), "KWD")),
    ])
    def test_telegram_amounts_are_in_the_currencys_smallest_units(
            self, currency: str, total: int, price: Price) -> None:
        assert price_from_minor_units(currency, total) == price

    @pytest.mark.parametrize(("currency", "total"), [("XTR", 0), ("USD", -1), ("XTR", True)])
    def test_nothing_or_less_is_no_price(self, currency: str, total: int) -> None:
        with pytest.raises(InvalidAmount):
            price_from_minor_units(currency, total)
