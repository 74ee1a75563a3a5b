"""Outbox effects: one frozen value per side effect toward Telegram or a provider, carried by an
outbox item written in the same transaction as the change behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from starport.domain.providers import Provider


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    url: str | None = None
    callback_data: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class SendText:
    """A bot message to the item's chat."""

    text: str
    parse_mode: str | None = None
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True)
class SendInvoice:
    """An invoice in the item's chat (`payload`: the session id), sent as `provider` has it
    sent; `amount` in the currency's smallest units."""

    provider: Provider
    title: str
    description: str
    payload: str
    currency: str
    amount: int


@dataclass(frozen=True, slots=True)
class RevokeInvite:
    """Withdraw an unused invite link of the channel (the item's chat)."""

    link: str


@dataclass(frozen=True, slots=True)
class RemoveMember:
    """Remove a lapsed patron from the channel (the item's chat): ban, then unban."""

    telegram_user_id: int


@dataclass(frozen=True, slots=True)
class RefundCharge:
    """Return one charge through its provider (an extra payment for a paid session)."""

    provider: Provider
    charge_id: str
    telegram_user_id: int


@dataclass(frozen=True, slots=True)
class CancelSubscription:
    """Stop a subscription's next charges: the charge that started it, at its provider."""

    provider: Provider
    charge_id: str
    telegram_user_id: int


@dataclass(frozen=True, slots=True)
class InvitePatron:
    """Create a patron's single-use invite at Telegram and send it (the InvitePatron command,
    with its own transaction and retries)."""

    telegram_user_id: int
    first_name: str = ""
    language: str | None = None  # the patron's Telegram language_code, when known


@dataclass(frozen=True, slots=True)
class PublishEvent:
    """An event for the host app (`host_events`): POSTed, signed, to STARPORT_EVENTS_URL. The
    item's id is the event's `webhook-id`, the same on every attempt; its chat is the user's
    lane (`host_events.lane`), so one user's events go out in the order they happened."""

    event_type: str
    occurred_at: str  # ISO 8601, UTC: the event's `timestamp`
    data: dict[str, object]

    def body(self) -> dict[str, object]:
        """What the host app receives (and the admin sees): `{type, timestamp, data}`."""
        return {"type": self.event_type, "timestamp": self.occurred_at, "data": self.data}


@dataclass(frozen=True, slots=True)
class RelayToSupport:
    """A user's support message to the support chat (the item's chat); its message id there is
    noted on the stored message (`message_id`), for the agents' replies to find the user."""

    message_id: str
    text: str


Effect = (SendText | SendInvoice | RevokeInvite | RemoveMember | RefundCharge
          | CancelSubscription | InvitePatron | PublishEvent | RelayToSupport)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up on: the attempts ran out, or the recipient is unreachable


@dataclass(eq=False)
class OutboxItem:
    """An effect waiting to happen. Items of one chat happen in the order they were queued."""

    id: str
    chat_id: int
    effect: Effect
    created_at: datetime
    available_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    lease_until: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    dedupe_key: str | None = field(default=None)
    # Set by a claim that took the item over: the lease a holder let run out without recording
    # a result (it crashed, or hung). Not stored.
    previous_lease: datetime | None = field(default=None, compare=False)

    @classmethod
    def now(cls, item_id: str, chat_id: int, effect: Effect, now: datetime,
            dedupe_key: str | None = None) -> OutboxItem:
        return cls(id=item_id, chat_id=chat_id, effect=effect, created_at=now,
                   available_at=now, dedupe_key=dedupe_key)
