"""The PaymentSession aggregate: one attempt by one user to buy one package through one provider."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from starport.domain import languages
from starport.domain.catalog import CreditPackage
from starport.domain.charges import Charge, ChargeStatus, Decision
from starport.domain.errors import (
    AmountMismatch,
    ForeignPayer,
    InvalidLanguage,
    InvalidTransition,
    RefundNotAllowed,
    SessionExpired,
    SessionNotPayable,
)
from starport.domain.money import CryptoAmount, FiatAmount, Price, Stars
from starport.domain.providers import Provider

SUBSCRIPTION_PERIOD = 2_592_000  # 30 days: the only period Telegram accepts


class SessionStatus(StrEnum):
    PENDING = "pending"
    INVOICED = "invoiced"
    PAID = "paid"
    REFUNDED = "refunded"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def is_open(self) -> bool:
        """Still waiting for the user to pay."""
        return self in (SessionStatus.PENDING, SessionStatus.INVOICED)


# A payment arriving after expiry, cancellation or failure is still honoured: money was taken.
_PAYABLE = {
    SessionStatus.PENDING,
    SessionStatus.INVOICED,
    SessionStatus.EXPIRED,
    SessionStatus.CANCELLED,
    SessionStatus.FAILED,
}


@dataclass(eq=False)
class PaymentSession:
    id: str
    user_id: str
    package_id: str
    provider: Provider
    price: Price
    credits: int
    created_at: datetime
    expires_at: datetime
    status: SessionStatus = SessionStatus.PENDING
    telegram_user_id: int | None = None
    invoice_id: str | None = None
    invoice_url: str | None = None
    mini_app_url: str | None = None  # the provider's Mini App page for this invoice
    web_app_url: str | None = None  # the provider's page for a browser
    charge_id: str | None = None
    paid_at: datetime | None = None
    refunded_at: datetime | None = None
    failure_reason: str | None = None
    subscription_period: int | None = None  # seconds between Star subscription charges
    # The buyer's Telegram language_code as their latest update about this purchase said: what
    # the bot tells them later with no update to go by (an admin's refund) is in it.
    language: str | None = None
    version: int = 0

    @classmethod
    def open(
        cls,
        *,
        session_id: str,
        user_id: str,
        package: CreditPackage,
        provider: Provider,
        now: datetime,
        expires_at: datetime,
        telegram_user_id: int | None = None,
    ) -> PaymentSession:
        if expires_at <= now:
            raise InvalidTransition("a session must expire after it is created")
        return cls(
            id=session_id,
            user_id=user_id,
            package_id=package.id,
            provider=provider,
            price=package.price_for(provider),
            credits=package.credits,
            created_at=now,
            expires_at=expires_at,
            telegram_user_id=telegram_user_id,
            subscription_period=SUBSCRIPTION_PERIOD if package.subscription else None,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def is_expired_at(self, now: datetime) -> bool:
        return now >= self.expires_at

    def link_telegram_user(self, telegram_user_id: int, now: datetime) -> None:
        """Bind the session to the Telegram account that opened its deep link."""
        self._require_open(now)
        if self.telegram_user_id not in (None, telegram_user_id):
            raise ForeignPayer("this payment session belongs to another Telegram user")
        self.telegram_user_id = telegram_user_id

    def note_language(self, language_code: str | None) -> None:
        """Keep the buyer's language as an update of theirs gave it (a malformed or missing
        one leaves what was known)."""
        if language_code:
            with contextlib.suppress(InvalidLanguage):
                self.language = languages.language(language_code)

    def mark_invoiced(self, invoice_id: str | None, invoice_url: str | None, now: datetime,
                      mini_app_url: str | None = None, web_app_url: str | None = None
                      ) -> None:
        self._require_open(now)
        self.invoice_id = invoice_id or self.invoice_id
        self.invoice_url = invoice_url or self.invoice_url
        self.mini_app_url = mini_app_url or self.mini_app_url
        self.web_app_url = web_app_url or self.web_app_url
        self.status = SessionStatus.INVOICED

    def check_pre_checkout(self, payer_telegram_id: int, price: Price, now: datetime) -> None:
        """Telegram asks whether to take the money: only for an open, unexpired session of
        this payer, at exactly the package price."""
        self._require_open(now)
        if self.telegram_user_id is not None and self.telegram_user_id != payer_telegram_id:
            raise ForeignPayer("this payment session belongs to another Telegram user")
        self._check_amount(price, exact=True)

    def mark_paid(self, *, charge_id: str, paid: Price, now: datetime, exact: bool = True) -> bool:
        """Record the provider's confirmation. Returns False when this very charge was already
        recorded (a replay), raises when the session cannot take this payment."""
        if self.status in (SessionStatus.PAID, SessionStatus.REFUNDED):
            if self.charge_id == charge_id:
                return False
            raise SessionNotPayable(f"session {self.id} was already paid by another charge")
        if self.status not in _PAYABLE:
            raise InvalidTransition(f"session {self.id} cannot be paid from {self.status}")
        self._check_amount(paid, exact=exact)
        self.status = SessionStatus.PAID
        self.charge_id = charge_id
        self.paid_at = now
        self.failure_reason = None
        return True

    def take(self, charge: Charge, *, earlier: Charge | None, now: datetime,
             exact: bool = True) -> Decision:
        """Judge a charge the provider reports for this session, and settle both: `earlier`
        is the same charge as stored before (a replay), if any. Stars are exact; a crypto
        payment may exceed the price (`exact=False`) but never fall short."""
        if earlier is not None or (charge.charge_id == self.charge_id):
            return Decision.REPLAY
        if self.status in (SessionStatus.PAID, SessionStatus.REFUNDED):
            if self.subscription_period is None or self.status is SessionStatus.REFUNDED:
                charge.settle(ChargeStatus.RETURNED, "this purchase was already paid")
                return Decision.RETURN_EXTRA
            try:
                self.check_renewal(charge_id=charge.charge_id, paid=charge.paid)
            except AmountMismatch as exc:
                charge.settle(ChargeStatus.REJECTED, exc.message)
                return Decision.REJECT
            charge.settle(ChargeStatus.CREDITED)
            return Decision.RENEWAL
        try:
            self.mark_paid(charge_id=charge.charge_id, paid=charge.paid, now=now, exact=exact)
        except AmountMismatch as exc:
            self.fail(exc.message)
            charge.settle(ChargeStatus.REJECTED, exc.message)
            return Decision.REJECT
        if charge.payer_telegram_id is not None and self.telegram_user_id is None:
            self.telegram_user_id = charge.payer_telegram_id  # who paid an unbound link
        charge.settle(ChargeStatus.CREDITED)
        return Decision.CREDIT

    def check_renewal(self, *, charge_id: str, paid: Price) -> None:
        """A later charge of a Star subscription: the session stays paid, each charge counts."""
        if self.subscription_period is None:
            raise SessionNotPayable(f"session {self.id} is not a subscription")
        if self.status is not SessionStatus.PAID:
            raise InvalidTransition(f"session {self.id} is {self.status}: no renewal")
        if charge_id == self.charge_id:
            raise InvalidTransition("a renewal has a charge of its own")
        self._check_amount(paid, exact=True)

    def mark_refunded(self, now: datetime) -> bool:
        """Returns False when already refunded (a replay of the refund)."""
        if self.status is SessionStatus.REFUNDED:
            return False
        if self.status is not SessionStatus.PAID:
            raise RefundNotAllowed(f"session {self.id} is {self.status}, only a paid one refunds")
        self.status = SessionStatus.REFUNDED
        self.refunded_at = now
        return True

    def expire(self, now: datetime) -> bool:
        if not self.status.is_open or not self.is_expired_at(now):
            return False
        self.status = SessionStatus.EXPIRED
        return True

    def cancel(self) -> None:
        if not self.status.is_open:
            raise InvalidTransition(f"session {self.id} is {self.status} and cannot be cancelled")
        self.status = SessionStatus.CANCELLED

    def fail(self, reason: str) -> None:
        """A payment attempt went wrong (e.g. an underpayment): flagged, nothing credited."""
        if self.status in (SessionStatus.PAID, SessionStatus.REFUNDED):
            raise InvalidTransition(f"session {self.id} is {self.status} and cannot fail")
        self.status = SessionStatus.FAILED
        self.failure_reason = reason

    # -- rules -----------------------------------------------------------------------------

    def _require_open(self, now: datetime) -> None:
        if self.status is SessionStatus.EXPIRED or (
            self.status.is_open and self.is_expired_at(now)
        ):
            raise SessionExpired(f"payment session {self.id} has expired")
        if not self.status.is_open:
            raise SessionNotPayable(f"payment session {self.id} is {self.status}")

    def _check_amount(self, paid: Price, *, exact: bool) -> None:
        expected = self.price
        if type(paid) is not type(expected) or paid.currency != expected.currency:
            raise AmountMismatch(f"the price is {expected}, the payment was in {paid.currency}")
        if isinstance(paid, Stars) or exact:
            if paid != expected:
                raise AmountMismatch(f"the price is {expected}, not {paid}")
            return
        assert isinstance(paid, CryptoAmount | FiatAmount)
        assert isinstance(expected, CryptoAmount | FiatAmount)
        if paid.amount < expected.amount:
            raise AmountMismatch(f"{paid} was paid, less than the price of {expected}")
