"""A charge: money a provider reports it took (or returned), and what it came to mean for us."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from starport.domain.errors import InvalidTransition
from starport.domain.money import Price
from starport.domain.providers import Provider

MAX_CHARGE_ID = 200  # characters a charge id may have (Telegram's are about 60)


class ChargeStatus(StrEnum):
    REPORTED = "reported"  # not judged yet (never stored)
    CREDITED = "credited"  # credits granted: a session's payment or a subscription renewal
    REJECTED = "rejected"  # wrong amount or currency: nothing credited, the user told
    RETURNED = "returned"  # a second charge for a session already paid: sent back
    REFUNDED = "refunded"  # credited, then refunded (its credits taken back)
    REFUNDED_BEFORE_CREDIT = "refunded_before_credit"  # refunded before we ever credited it
    UNMATCHED = "unmatched"  # for no session we know: nothing credited, a human looks


class Decision(StrEnum):
    """What a newly reported charge means for its session."""

    CREDIT = "credit"  # the session's payment: credit it
    RENEWAL = "renewal"  # a later charge of a Star subscription: credit it too
    REPLAY = "replay"  # this charge was judged before: nothing new happens
    RETURN_EXTRA = "return_extra"  # the session was paid by another charge: return this one
    REJECT = "reject"  # the money does not match the price: not credited
    UNMATCHED = "unmatched"  # no such session


@dataclass(eq=False)
class Charge:
    """Unique per (provider, charge id): Telegram's `telegram_payment_charge_id`, Crypto Pay's
    invoice id. Its status is what makes a replay (from another delivery, or reconciliation)
    recognisable, whatever it came to mean the first time."""

    provider: Provider
    charge_id: str
    session_id: str | None
    paid: Price
    reported_at: datetime
    payer_telegram_id: int | None = None
    subscription_until: datetime | None = None  # a Star subscription's paid-up end
    status: ChargeStatus = ChargeStatus.REPORTED
    reason: str | None = None  # why it was rejected or returned
    provider_charge_id: str | None = None  # the payment provider's own reference (cards)

    @property
    def credited(self) -> bool:
        return self.status is ChargeStatus.CREDITED

    def settle(self, status: ChargeStatus, reason: str | None = None) -> None:
        """The judgement on a reported charge, made once."""
        if self.status is not ChargeStatus.REPORTED:
            raise InvalidTransition(f"charge {self.charge_id} is {self.status} already")
        if status is ChargeStatus.REPORTED:
            raise InvalidTransition("a charge is settled to a final status")
        self.status, self.reason = status, reason

    def refund(self) -> bool:
        """The provider returned the money. False when that was known already."""
        if self.status in (ChargeStatus.REFUNDED, ChargeStatus.REFUNDED_BEFORE_CREDIT):
            return False
        self.status = (ChargeStatus.REFUNDED if self.status is ChargeStatus.CREDITED
                       else ChargeStatus.REFUNDED_BEFORE_CREDIT)
        return True
