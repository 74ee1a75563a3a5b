"""The PaymentSession state machine: every transition it allows and every one it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from starport.domain.catalog import CreditPackage
from starport.domain.errors import (
    AmountMismatch,
    ForeignPayer,
    InvalidTransition,
    PackageUnavailable,
    RefundNotAllowed,
    SessionExpired,
    SessionNotPayable,
)
from starport.domain.money import CryptoAmount, FiatAmount, Stars
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession, SessionStatus

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)
LATER = NOW + TTL + timedelta(seconds=1)
TON = CryptoAmount(Decimal("1.5"), "TON")
PACKAGE = CreditPackage("starter", "Starter", 100, Stars(50), TON)
USD_PACKAGE = CreditPackage("pro", "Pro", 500, Stars(200), FiatAmount(Decimal("9.99"), "USD"))


def new_session(provider: Provider = Provider.TELEGRAM_STARS, *, package: CreditPackage = PACKAGE,
                telegram_user_id: int | None = None) -> PaymentSession:
    return PaymentSession.open(session_id="s1", user_id="u1", package=package, provider=provider,
                               now=NOW, expires_at=NOW + TTL, telegram_user_id=telegram_user_id)


def in_status(status: SessionStatus, provider: Provider = Provider.TELEGRAM_STARS
              ) -> PaymentSession:
    session = new_session(provider)
    paid = session.price
    if status is SessionStatus.INVOICED:
        session.mark_invoiced("inv", "https://pay", NOW)
    elif status is SessionStatus.PAID:
        session.mark_paid(charge_id="c1", paid=paid, now=NOW)
    elif status is SessionStatus.REFUNDED:
        session.mark_paid(charge_id="c1", paid=paid, now=NOW)
        session.mark_refunded(NOW)
    elif status is SessionStatus.EXPIRED:
        assert session.expire(LATER)
    elif status is SessionStatus.CANCELLED:
        session.cancel()
    elif status is SessionStatus.FAILED:
        session.fail("underpaid")
    assert session.status is status
    return session


class TestOpen:
    def test_a_new_session_is_pending_at_the_package_price_for_its_provider(self) -> None:
        session = new_session(Provider.CRYPTOPAY)
        assert session.status is SessionStatus.PENDING
        assert session.price == TON
        assert session.credits == 100

    def test_a_session_must_expire_after_it_is_created(self) -> None:
        with pytest.raises(InvalidTransition):
            PaymentSession.open(session_id="s1", user_id="u1", package=PACKAGE,
                                provider=Provider.TELEGRAM_STARS, now=NOW, expires_at=NOW)

    def test_a_session_cannot_be_opened_through_a_provider_without_a_price(self) -> None:
        stars_only = CreditPackage("s", "S", 1, Stars(1))
        with pytest.raises(PackageUnavailable):
            new_session(Provider.CRYPTOPAY, package=stars_only)

    def test_open_statuses_are_pending_and_invoiced_only(self) -> None:
        assert {s for s in SessionStatus if s.is_open} == {
            SessionStatus.PENDING, SessionStatus.INVOICED}


class TestInvoicedAndLinked:
    def test_pending_becomes_invoiced_with_the_provider_reference(self) -> None:
        session = new_session()
        session.mark_invoiced("inv-1", "https://t.me/$x", NOW)
        assert session.status is SessionStatus.INVOICED
        assert (session.invoice_id, session.invoice_url) == ("inv-1", "https://t.me/$x")

    def test_invoicing_again_keeps_the_known_references(self) -> None:
        session = in_status(SessionStatus.INVOICED)
        session.mark_invoiced(None, None, NOW)
        assert (session.invoice_id, session.invoice_url) == ("inv", "https://pay")

    def test_an_expired_session_cannot_be_invoiced(self) -> None:
        with pytest.raises(SessionExpired):
            new_session().mark_invoiced("inv", None, LATER)

    @pytest.mark.parametrize("status", [SessionStatus.PAID, SessionStatus.REFUNDED,
                                        SessionStatus.CANCELLED, SessionStatus.FAILED])
    def test_a_closed_session_cannot_be_invoiced(self, status: SessionStatus) -> None:
        with pytest.raises(SessionNotPayable):
            in_status(status).mark_invoiced("inv", None, NOW)

    def test_the_first_telegram_user_to_open_the_link_owns_the_session(self) -> None:
        session = new_session()
        session.link_telegram_user(777, NOW)
        session.link_telegram_user(777, NOW)  # the same user again is fine
        with pytest.raises(ForeignPayer):
            session.link_telegram_user(778, NOW)
        assert session.telegram_user_id == 777

    def test_an_expired_session_cannot_be_linked(self) -> None:
        with pytest.raises(SessionExpired):
            new_session().link_telegram_user(777, LATER)
        with pytest.raises(SessionExpired):
            in_status(SessionStatus.EXPIRED).link_telegram_user(777, NOW)


class TestPreCheckout:
    def test_the_owner_paying_the_exact_price_in_time_is_accepted(self) -> None:
        session = new_session(telegram_user_id=777)
        session.check_pre_checkout(777, Stars(50), NOW)  # no exception: accepted

    def test_a_session_not_yet_linked_accepts_any_payer(self) -> None:
        new_session().check_pre_checkout(999, Stars(50), NOW)

    def test_an_expired_session_is_refused_even_before_the_expiry_job_ran(self) -> None:
        session = new_session(telegram_user_id=777)
        with pytest.raises(SessionExpired):
            session.check_pre_checkout(777, Stars(50), NOW + TTL)
        assert session.status is SessionStatus.PENDING

    def test_an_expired_session_is_refused(self) -> None:
        with pytest.raises(SessionExpired):
            in_status(SessionStatus.EXPIRED).check_pre_checkout(777, Stars(50), NOW)

    def test_another_users_session_is_refused(self) -> None:
        with pytest.raises(ForeignPayer):
            new_session(telegram_user_id=777).check_pre_checkout(778, Stars(50), NOW)

    @pytest.mark.parametrize("amount", [49, 51, 5000])
    def test_a_wrong_amount_is_refused(self, amount: int) -> None:
        with pytest.raises(AmountMismatch):
            new_session().check_pre_checkout(777, Stars(amount), NOW)

    def test_a_wrong_currency_is_refused(self) -> None:
        crypto = new_session(Provider.CRYPTOPAY)
        with pytest.raises(AmountMismatch):
            crypto.check_pre_checkout(777, Stars(50), NOW)

    @pytest.mark.parametrize("status", [SessionStatus.PAID, SessionStatus.REFUNDED,
                                        SessionStatus.CANCELLED, SessionStatus.FAILED])
    def test_a_closed_session_is_refused(self, status: SessionStatus) -> None:
        with pytest.raises(SessionNotPayable):
            in_status(status).check_pre_checkout(777, Stars(50), NOW)


class TestPaid:
    @pytest.mark.parametrize("status", [SessionStatus.PENDING, SessionStatus.INVOICED])
    def test_an_open_session_paid_in_time_is_paid_and_not_late(self, status: SessionStatus
                                                               ) -> None:
        session = in_status(status)
        assert session.mark_paid(charge_id="c1", paid=Stars(50), now=NOW) is True
        assert session.status is SessionStatus.PAID
        assert (session.charge_id, session.paid_at) == ("c1", NOW)

    @pytest.mark.parametrize("status", [SessionStatus.EXPIRED, SessionStatus.CANCELLED,
                                        SessionStatus.FAILED])
    def test_a_payment_for_a_closed_session_is_still_honoured(
            self, status: SessionStatus) -> None:
        session = in_status(status)
        assert session.mark_paid(charge_id="c1", paid=Stars(50), now=NOW) is True
        assert session.status is SessionStatus.PAID
        assert session.failure_reason is None

    def test_a_payment_after_expiry_is_honoured_before_the_expiry_job_ran(self) -> None:
        session = in_status(SessionStatus.INVOICED)
        assert session.mark_paid(charge_id="c1", paid=Stars(50), now=LATER)
        assert session.status is SessionStatus.PAID

    @pytest.mark.parametrize("status", [SessionStatus.PAID, SessionStatus.REFUNDED])
    def test_a_replay_of_the_same_charge_changes_nothing(self, status: SessionStatus) -> None:
        session = in_status(status)
        assert session.mark_paid(charge_id="c1", paid=Stars(50), now=LATER) is False
        assert session.status is status
        assert session.paid_at == NOW

    @pytest.mark.parametrize("status", [SessionStatus.PAID, SessionStatus.REFUNDED])
    def test_another_charge_on_a_paid_session_is_refused(self, status: SessionStatus) -> None:
        session = in_status(status)
        with pytest.raises(SessionNotPayable):
            session.mark_paid(charge_id="c2", paid=Stars(50), now=NOW)
        assert session.charge_id == "c1"

    def test_stars_must_be_paid_exactly_even_when_not_asked_to_be_exact(self) -> None:
        session = new_session()
        with pytest.raises(AmountMismatch):
            session.mark_paid(charge_id="c1", paid=Stars(51), now=NOW, exact=False)
        assert session.status is SessionStatus.PENDING

    def test_a_crypto_overpayment_is_accepted_when_not_exact(self) -> None:
        session = new_session(Provider.CRYPTOPAY)
        assert session.mark_paid(charge_id="1000", paid=CryptoAmount(Decimal("1.6"), "TON"),
                                 now=NOW, exact=False)
        assert session.status is SessionStatus.PAID

    def test_a_crypto_overpayment_is_refused_when_exact(self) -> None:
        with pytest.raises(AmountMismatch):
            new_session(Provider.CRYPTOPAY).mark_paid(
                charge_id="1000", paid=CryptoAmount(Decimal("1.6"), "TON"), now=NOW)

    def test_the_exact_crypto_amount_is_accepted_whatever_its_written_precision(self) -> None:
        session = new_session(Provider.CRYPTOPAY)
        assert session.mark_paid(charge_id="1000", paid=CryptoAmount(Decimal("1.500"), "TON"),
                                 now=NOW)

    def test_a_crypto_underpayment_is_refused(self) -> None:
        session = new_session(Provider.CRYPTOPAY)
        with pytest.raises(AmountMismatch, match=r"1\.49 TON"):
            session.mark_paid(charge_id="1000", paid=CryptoAmount(Decimal("1.49"), "TON"),
                              now=NOW, exact=False)
        assert session.status is SessionStatus.PENDING

    def test_a_payment_in_another_asset_is_refused_whatever_the_amount(self) -> None:
        session = new_session(Provider.CRYPTOPAY)
        with pytest.raises(AmountMismatch):
            session.mark_paid(charge_id="1000", paid=CryptoAmount(Decimal("100"), "USDT"),
                              now=NOW, exact=False)

    def test_fiat_and_crypto_are_not_interchangeable(self) -> None:
        session = new_session(Provider.CRYPTOPAY, package=USD_PACKAGE)
        with pytest.raises(AmountMismatch):
            session.mark_paid(charge_id="1000", paid=CryptoAmount(Decimal("9.99"), "USD"),
                              now=NOW, exact=False)
        assert session.mark_paid(charge_id="1000", paid=FiatAmount(Decimal("10"), "USD"),
                                 now=NOW, exact=False)


class TestRefunded:
    def test_a_paid_session_is_refunded_once(self) -> None:
        session = in_status(SessionStatus.PAID)
        assert session.mark_refunded(LATER) is True
        assert session.status is SessionStatus.REFUNDED
        assert session.refunded_at == LATER
        assert session.mark_refunded(LATER + TTL) is False
        assert session.refunded_at == LATER

    @pytest.mark.parametrize("status", [SessionStatus.PENDING, SessionStatus.INVOICED,
                                        SessionStatus.EXPIRED, SessionStatus.CANCELLED,
                                        SessionStatus.FAILED])
    def test_only_a_paid_session_can_be_refunded(self, status: SessionStatus) -> None:
        session = in_status(status)
        with pytest.raises(RefundNotAllowed):
            session.mark_refunded(NOW)
        assert session.status is status


class TestExpire:
    @pytest.mark.parametrize("status", [SessionStatus.PENDING, SessionStatus.INVOICED])
    def test_an_open_session_expires_once_its_time_is_up(self, status: SessionStatus) -> None:
        session = in_status(status)
        assert session.expire(NOW + TTL) is True  # expires_at itself counts as expired
        assert session.status is SessionStatus.EXPIRED

    def test_an_open_session_does_not_expire_early(self) -> None:
        session = new_session()
        assert session.expire(NOW + TTL - timedelta(seconds=1)) is False
        assert session.status is SessionStatus.PENDING

    @pytest.mark.parametrize("status", [SessionStatus.PAID, SessionStatus.REFUNDED,
                                        SessionStatus.EXPIRED, SessionStatus.CANCELLED,
                                        SessionStatus.FAILED])
    def test_a_closed_session_does_not_expire(self, status: SessionStatus) -> None:
        session = in_status(status)
        assert session.expire(LATER + TTL) is False
        assert session.status is status


class TestCancelAndFail:
    @pytest.mark.parametrize("status", [SessionStatus.PENDING, SessionStatus.INVOICED])
    def test_an_open_session_can_be_cancelled(self, status: SessionStatus) -> None:
        session = in_status(status)
        session.cancel()
        assert session.status is SessionStatus.CANCELLED

    @pytest.mark.parametrize("status", [SessionStatus.PAID, SessionStatus.REFUNDED,
                                        SessionStatus.EXPIRED, SessionStatus.CANCELLED,
                                        SessionStatus.FAILED])
    def test_a_closed_session_cannot_be_cancelled(self, status: SessionStatus) -> None:
        with pytest.raises(InvalidTransition):
            in_status(status).cancel()

    @pytest.mark.parametrize("status", [SessionStatus.PENDING, SessionStatus.INVOICED,
                                        SessionStatus.EXPIRED, SessionStatus.CANCELLED,
                                        SessionStatus.FAILED])
    def test_an_unpaid_session_can_fail_with_a_reason(self, status: SessionStatus) -> None:
        session = in_status(status)
        session.fail("underpaid: 1 TON")
        assert session.status is SessionStatus.FAILED
        assert session.failure_reason == "underpaid: 1 TON"

    @pytest.mark.parametrize("status", [SessionStatus.PAID, SessionStatus.REFUNDED])
    def test_a_paid_session_cannot_fail(self, status: SessionStatus) -> None:
        session = in_status(status)
        with pytest.raises(InvalidTransition):
            session.fail("oops")
        assert session.status is status
