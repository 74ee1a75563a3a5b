"""Results handed back to callers: plain values, no aggregates leak out of a use case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starport.domain.charges import Decision
from starport.domain.sessions import PaymentSession


@dataclass(frozen=True)
class SessionView:
    id: str
    user_id: str
    package_id: str
    provider: str
    status: str
    amount: str
    currency: str
    credits: int
    created_at: datetime
    expires_at: datetime
    deep_link: str | None
    invoice_link: str | None
    pay_url: str | None
    mini_app_url: str | None
    web_app_url: str | None
    paid_at: datetime | None
    refunded_at: datetime | None
    failure_reason: str | None
    replayed: bool = False  # the session an earlier request with the same Idempotency-Key made

    @classmethod
    def of(cls, s: PaymentSession, deep_link: str | None, *, in_chat: bool) -> SessionView:
        """`in_chat`: the provider's invoice is sent into the bot's chat (the deep link and an
        invoice link), rather than paid on the provider's own page (`pay_url`...)."""
        return cls(
            id=s.id, user_id=s.user_id, package_id=s.package_id, provider=s.provider.value,
            status=s.status.value, amount=str(s.price.amount), currency=s.price.currency,
            credits=s.credits, created_at=s.created_at, expires_at=s.expires_at,
            deep_link=deep_link if in_chat else None,
            invoice_link=s.invoice_url if in_chat else None,
            pay_url=None if in_chat else s.invoice_url,
            mini_app_url=None if in_chat else s.mini_app_url,
            web_app_url=None if in_chat else s.web_app_url,
            paid_at=s.paid_at, refunded_at=s.refunded_at, failure_reason=s.failure_reason,
        )


@dataclass(frozen=True)
class LinkTokenView:
    token: str
    deep_link: str
    expires_at: datetime


@dataclass(frozen=True)
class BuyAnswer:
    """A package button's result: the session opened, or the alert to show on the button."""

    session: SessionView | None
    alert: str | None = None


@dataclass(frozen=True)
class PaymentOutcome:
    """What a reported charge came to: `credited` now, or not (a replay of one recorded before,
    or a rejected one, with the reason the user was given)."""

    session_id: str | None
    decision: Decision
    provider: str = ""
    credits: int = 0  # credited by this charge, now
    balance: int | None = None
    rejected_reason: str | None = None

    @property
    def credited(self) -> bool:
        return self.decision in (Decision.CREDIT, Decision.RENEWAL)

    @property
    def label(self) -> str:
        """The delivery's outcome, as stored and as answered."""
        if self.credited:
            return "credited"
        if self.decision is Decision.UNMATCHED:
            return "refused:session_not_found"
        return "rejected" if self.rejected_reason else "already_credited"


@dataclass(frozen=True)
class PreCheckoutAnswer:
    ok: bool
    error_key: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class BalanceView:
    user_id: str
    balance: int
    debt: int


@dataclass(frozen=True)
class LedgerLine:
    entry_id: str
    kind: str
    amount: int
    memo: str
    reference: str | None
    created_at: datetime


@dataclass(frozen=True)
class SpendResult:
    balance: int
    replayed: bool


@dataclass(frozen=True)
class RefundResult:
    session_id: str
    credits: int
    debt: int
    already_refunded: bool


@dataclass
class JobCounts:
    """What a batch job did; printed by `starport jobs run` and returned by the admin API."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)
