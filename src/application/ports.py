"""Ports the use cases depend on: clock, ids, providers, the bot, the channel, the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from application.effects import Keyboard
from domain.money import Price
from domain.perks import MemberStatus
from domain.sessions import PaymentSession


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


class PaymentProvider(Protocol):
    """One payment provider (Telegram Stars, Crypto Pay, a fake)."""

    name: str
    can_refund: bool  # whether `refund` returns money (Crypto Pay has no such method)

    async def create_invoice(
        self, session: PaymentSession, title: str, description: str
    ) -> Invoice: ...

    async def refund(self, charge_id: str, payer_telegram_id: int | None) -> None:
        """Return one charge's money; an already-refunded charge counts as success."""
        ...

    async def paid_transactions(self, cursor: str | None) -> TransactionPage:
        """The provider's own record of payments, oldest unseen first, from a saved cursor."""
        ...

    async def find_payments(self, sessions: Sequence[PaymentSession]
                            ) -> Sequence[PaidTransaction]:
        """Payments the provider holds for these waiting sessions (polling fallback)."""
        ...

    async def cancel_invoice(self, session: PaymentSession) -> None: ...

    async def cancel_subscription(self, telegram_user_id: int, charge_id: str) -> None:
        """Stop a recurring subscription's next charges (Stars: editUserStarSubscription)."""
        ...


class ProviderError(Exception):
    """A provider refused or could not be reached; the use case decides what it means."""


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
class StarsInvoiceRequest:
    chat_id: int | None  # None: an invoice link (Mini App) rather than a message in chat
    title: str
    description: str
    payload: str
    stars: int
    subscription_period: int | None = None


class Messenger(Protocol):
    async def send_message(self, message: OutgoingMessage) -> None: ...

    async def send_invoice(self, invoice: StarsInvoiceRequest) -> None: ...

    async def answer_pre_checkout(self, query_id: str, error: str | None) -> None: ...

    async def answer_callback(self, query_id: str, text: str | None = None,
                              alert: bool = False) -> None:
        """Stop the button's spinner (and show `text`) — Telegram expects it promptly."""
        ...


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
