"""Ports the use cases depend on: clock, ids, providers, the bot, the channel, the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from starport.application.effects import Keyboard
from starport.domain.money import Price
from starport.domain.perks import MemberStatus
from starport.domain.sessions import PaymentSession


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    def new_id(self) -> str: ...


# -- payment providers -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Invoice:
    """What a provider gives back for a session: its reference and where the user pays."""

    invoice_id: str | None
    url: str | None = None
    mini_app_url: str | None = None
    web_url: str | None = None  # a page a browser can pay it on


@dataclass(frozen=True, slots=True)
class PaidTransaction:
    """A payment the provider says it received (for reconciliation)."""

    charge_id: str
    session_id: str | None
    paid: Price
    paid_at: datetime
    payer_telegram_id: int | None = None


@dataclass(frozen=True, slots=True)
class TransactionPage:
    transactions: Sequence[PaidTransaction]
    next_cursor: str | None  # None: nothing more to read now


@dataclass(frozen=True, slots=True)
class ProviderTraits:
    """What a provider is like, declared once by its adapter. Use cases ask these (and the
    capabilities below), never which provider it is."""

    label: str  # how buyers and operators know it: "Telegram Stars", "Crypto Pay", "card"
    exact_amount: bool  # True: pays exactly the price; False: may pay more (never less)
    # Where an operator returns the money when the provider has no Refunds capability.
    refund_elsewhere: str = "return the money outside Starport"
    # With Refunds too: the money can also go back outside Starport (a transfer from the
    # wallet), so such a refund may be recorded. Stars cannot: only refundStarPayment returns them.
    refundable_outside: bool = False


class PaymentProvider(Protocol):
    """The core every provider implements: an invoice (or payment request) for a session.
    What else it can do is a capability it may also implement (`capable` finds out)."""

    name: str
    traits: ProviderTraits

    async def create_invoice(
        self, session: PaymentSession, title: str, description: str
    ) -> Invoice: ...


# -- capabilities a provider may also have ------------------------------------------------------


@runtime_checkable
class ChatInvoices(Protocol):
    """Its invoice is sent into the bot's chat (deep link, /buy); the others are opened by URL."""

    def for_chat(self, request: InvoiceRequest) -> InvoiceRequest:
        """The invoice as this provider has it sent (e.g. with its provider token)."""
        ...


@runtime_checkable
class Refunds(Protocol):
    async def refund(self, charge_id: str, payer_telegram_id: int) -> None:
        """Return one charge's money to the Telegram user who paid it; an already-refunded
        charge counts as success (a retry never pays twice)."""
        ...


@runtime_checkable
class Subscriptions(Protocol):
    async def cancel_subscription(self, telegram_user_id: int, charge_id: str) -> None:
        """Stop a recurring subscription's next charges."""
        ...


@runtime_checkable
class TransactionFeed(Protocol):
    async def paid_transactions(self, cursor: str | None) -> TransactionPage:
        """The provider's own record of payments, oldest unseen first, from a saved cursor."""
        ...


@runtime_checkable
class InvoiceLookup(Protocol):
    async def find_payments(self, sessions: Sequence[PaymentSession]
                            ) -> Sequence[PaidTransaction]:
        """Payments the provider holds for these waiting sessions (polling fallback)."""
        ...


@runtime_checkable
class InvoiceCancellation(Protocol):
    async def cancel_invoice(self, session: PaymentSession) -> None:
        """Withdraw an expired session's invoice so it can no longer be paid."""
        ...


class ProviderError(Exception):
    """A provider refused or could not be reached; the use case decides what it means."""


class ProviderRefused(ProviderError):
    """The provider refused for a reason the operator must fix first (a setting off, a balance
    too low): retrying as it is will not help. The message says what to do."""


class RecipientUnreachable(Exception):
    """The user blocked the bot (or deleted their account): do not retry."""


# -- the bot and the channel -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    chat_id: int
    text: str
    parse_mode: str | None = None
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    """An invoice for the chat: the amount in the currency's smallest units (Stars: XTR)."""

    chat_id: int
    title: str
    description: str
    payload: str
    currency: str
    amount: int
    provider_token: str = field(default="", repr=False)  # a secret; empty for Stars


class Messenger(Protocol):
    async def send_message(self, message: OutgoingMessage) -> int:
        """The sent message's id in its chat."""
        ...

    async def send_invoice(self, invoice: InvoiceRequest) -> None: ...

    async def answer_pre_checkout(self, query_id: str, error: str | None) -> None: ...

    async def answer_callback(self, query_id: str, text: str | None = None,
                              alert: bool = False) -> None:
        """Stop the button's spinner (and show `text`) — Telegram expects it promptly."""
        ...


class EventSink(Protocol):
    """The host app's event endpoint (STARPORT_EVENTS_URL). `deliver` returns once the
    receiver answered 2xx and raises otherwise (the outbox retries); `event_id` is the
    Standard Webhooks `webhook-id`, the same on every attempt."""

    async def deliver(self, event_id: str, body: bytes) -> None: ...


class ChannelGateway(Protocol):
    async def member_status(self, channel_id: int, telegram_user_id: int) -> MemberStatus: ...

    async def create_invite(self, channel_id: int, name: str, expires_at: datetime) -> str: ...

    async def revoke_invite(self, channel_id: int, link: str) -> None: ...

    async def remove_member(self, channel_id: int, telegram_user_id: int) -> None:
        """Ban then unban, so the user can come back later with a new invite."""
        ...

    async def answer_join_request(
        self, channel_id: int, telegram_user_id: int, approve: bool
    ) -> None: ...


class ChannelNotAdmin(Exception):
    """The bot is not an administrator of the channel: perks cannot work until it is."""


# -- the Crypto Pay wallet ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssetBalance:
    asset: str  # "USDT", "TON", ...
    available: Decimal
    onhold: Decimal


class WalletBalances(Protocol):
    """What the app's Crypto Pay wallet holds (getBalance)."""

    async def balances(self) -> Sequence[AssetBalance]: ...
