"""Commands: what a caller asks Starport to do, as plain immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from starport.domain.money import Price
from starport.domain.perks import MemberStatus, PatronSource
from starport.domain.providers import Provider

if TYPE_CHECKING:
    from starport.application.deliveries import Delivery


class Command:
    pass


# A command caused by a webhook or getUpdates delivery carries it (`delivery`): the use case
# stores it with its effect, in the same transaction, and refuses it if it was seen before.


@dataclass(frozen=True)
class CreateSession(Command):
    user_id: str
    package_id: str
    provider: Provider
    telegram_user_id: int | None = None  # known when a Mini App or the bot creates it
    # A retried request with the same key (from the same caller: `scope`) gets the same
    # session; the same key with another request (`fingerprint`) is refused.
    idempotency_key: str | None = None
    scope: str = "host"
    fingerprint: str = ""
    language: str | None = None  # a Mini App user's Telegram language_code (initData)


@dataclass(frozen=True)
class StartDeepLink(Command):
    """`/start pay_<session>`: the user opened the deep link in the bot's chat."""

    session_id: str
    telegram_user_id: int
    chat_id: int
    first_name: str = ""
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class ValidatePreCheckout(Command):
    """Telegram asks whether it may take the money (`total_amount` in the currency's smallest
    units). Decided from reads only; the caller answers Telegram."""

    query_id: str
    payer_telegram_id: int
    payload: str
    currency: str
    total_amount: int
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class CompletePayment(Command):
    provider: Provider
    session_id: str
    charge_id: str
    paid: Price
    payer_telegram_id: int | None = None
    chat_id: int | None = None
    subscription_until: datetime | None = None  # a Star subscription's paid-up end
    provider_charge_id: str | None = None  # the payment provider's own reference (cards)
    first_name: str = ""
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class RefundPayment(Command):
    """An admin returns a paid session's money through its provider, to the Telegram user who
    paid: the one Starport knows, else `telegram_user_id` (who paid a host app's session by
    URL, which the provider does not say)."""

    session_id: str
    requested_by: str
    reason: str = ""
    allow_debt: bool = False
    telegram_user_id: int | None = None


@dataclass(frozen=True)
class RecordRefund(Command):
    """An admin returned a payment's money outside Starport (the payment provider's
    dashboard) and records it, so its credits come back out once."""

    session_id: str
    requested_by: str
    reason: str = ""
    allow_debt: bool = False


@dataclass(frozen=True)
class LinkTelegram(Command):
    """The host app links a Telegram account to its user (one user at a time)."""

    user_id: str
    telegram_user_id: int


@dataclass(frozen=True)
class UnlinkTelegram(Command):
    user_id: str
    telegram_user_id: int


@dataclass(frozen=True)
class CreateLinkToken(Command):
    """A one-time deep link for the host app's user to open in the bot."""

    user_id: str


@dataclass(frozen=True)
class RedeemLinkToken(Command):
    """`/start link_<token>`: the user opened the host app's link in the bot."""

    token: str
    telegram_user_id: int
    chat_id: int
    first_name: str = ""
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class HoldPayment(Command):
    """A payment that cannot be recorded (its charge id is longer than any provider sends):
    kept as received, with the operator told, instead of credited or dropped."""

    reason: str
    amount: str
    telegram_user_id: int | None
    delivery: Delivery | None = None


@dataclass(frozen=True)
class RecordProviderRefund(Command):
    """The provider says it returned the money (Telegram's refunded_payment)."""

    provider: Provider
    charge_id: str
    session_id: str | None = None
    reason: str = ""
    paid: Price | None = None  # what was returned, as the provider reports it
    payer_telegram_id: int | None = None
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class SpendCredits(Command):
    user_id: str
    credits: int
    idempotency_key: str
    reason: str = ""


@dataclass(frozen=True)
class AdjustCredits(Command):
    """An admin grants (credits > 0) or takes (< 0) credits, with a reason; once per key."""

    user_id: str
    credits: int
    reason: str
    idempotency_key: str
    requested_by: str = "admin"
    allow_debt: bool = False


@dataclass(frozen=True)
class MakePatron(Command):
    telegram_user_id: int
    user_id: str | None = None
    source: PatronSource = PatronSource.ADMIN
    until: datetime | None = None
    first_name: str = ""
    requested_by: str | None = None  # an admin's name: the change goes on the audit trail


@dataclass(frozen=True)
class EndPatronage(Command):
    telegram_user_id: int
    requested_by: str | None = None  # an admin's name: the change goes on the audit trail


@dataclass(frozen=True)
class ObserveMembership(Command):
    """A chat_member update (or a check) says where the user stands in the channel."""

    telegram_user_id: int
    status: MemberStatus
    invite_link: str | None = None
    first_name: str = ""
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class VerifyMembership(Command):
    telegram_user_id: int


@dataclass(frozen=True)
class InvitePatron(Command):
    """Send a patron a single-use invite, unless they are in the channel or hold one."""

    telegram_user_id: int
    first_name: str = ""
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class AnswerJoinRequest(Command):
    telegram_user_id: int


@dataclass(frozen=True)
class UpdateBotMessage(Command):
    key: str
    template: str
    parse_mode: str | None
    changed_by: str
    language: str | None = None  # None: the default language


@dataclass(frozen=True)
class ResetBotMessage(Command):
    key: str
    changed_by: str
    language: str | None = None  # None: the default language (back to the shipped text)


@dataclass(frozen=True)
class ExpireSessions(Command):
    batch: int = 500


@dataclass(frozen=True)
class Reconcile(Command):
    provider: Provider
    max_pages: int = 50


@dataclass(frozen=True)
class DispatchOutbox(Command):
    batch: int = 500  # items per run, in rounds of outbox.CONCURRENCY


@dataclass(frozen=True)
class CheckMemberships(Command):
    batch: int = 200


@dataclass(frozen=True)
class BulkInvite(Command):
    batch: int = 200


@dataclass(frozen=True)
class Reply(Command):
    """Answer a chat with one of the bot messages (/start, /terms, /support, ...)."""

    chat_id: int
    key: str
    first_name: str = ""
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class OpenSupport(Command):
    """/support or /paysupport with a support chat: what the user writes next reaches it."""

    telegram_user_id: int
    chat_id: int
    first_name: str = ""
    username: str | None = None
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class CloseSupport(Command):
    """/done or /cancel: the user's support conversation ends."""

    telegram_user_id: int
    chat_id: int
    first_name: str = ""
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class WriteToSupport(Command):
    """A plain message in the bot's chat: relayed if the user's conversation is open. `text`
    is the message's text or caption; `unsupported` names what cannot be relayed (a photo, a
    sticker...), if the message has such."""

    telegram_user_id: int
    chat_id: int
    text: str
    first_name: str = ""
    username: str | None = None
    unsupported: str | None = None
    delivery: Delivery | None = None
    last_name: str | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class NoteRelayed(Command):
    """The user's message was relayed: it is that message of the support chat."""

    message_id: str
    chat_id: int
    support_message_id: int


@dataclass(frozen=True)
class AnswerFromSupport(Command):
    """An agent replied in the support chat to the message with `reply_to` as its id."""

    chat_id: int
    reply_to: int
    agent_telegram_id: int
    agent_name: str
    text: str
    delivery: Delivery | None = None


@dataclass(frozen=True)
class ReplyBalance(Command):
    chat_id: int
    user_id: str
    first_name: str = ""
    delivery: Delivery | None = None
    telegram_user_id: int | None = None  # from the bot: the account it is linked to, if any
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class ShowPackages(Command):
    """`/buy`: the active packages as buttons."""

    chat_id: int
    first_name: str = ""
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class BuyFromChat(Command):
    """A package button was pressed: a new session for that Telegram user, invoice in chat."""

    callback_query_id: str
    telegram_user_id: int
    chat_id: int
    package_id: str
    first_name: str = ""
    delivery: Delivery | None = None
    language: str | None = None  # the user's Telegram language_code: the texts' language


@dataclass(frozen=True)
class PruneDeliveries(Command):
    """Forget deliveries (and payment-limit history) past their retention."""

    batch: int = 1000


@dataclass(frozen=True)
class CheckWalletBalances(Command):
    """Read the Crypto Pay balances; alert the admin once when an asset falls under its
    threshold."""


@dataclass(frozen=True)
class ResendEvent(Command):
    """Send one event to the host app again now, with its own `webhook-id` (an admin's
    action: after the receiver was fixed, or to replay one it lost)."""

    event_id: str
    requested_by: str = "admin"


@dataclass(frozen=True)
class NoteAdminAction(Command):
    """Put an admin's action on the audit trail (one whose change is recorded elsewhere)."""

    admin: str
    action: str
    target: str
    reason: str = ""
    detail: str = ""


@dataclass(frozen=True)
class RetryOutboxItem(Command):
    """Try a failed (or waiting) outbox item again now: a bot message, an invite, an event."""

    item_id: str
    requested_by: str = "admin"
