"""The driver: what a scenario can do to Starport and see of it, in the user's terms.

Step definitions talk only to a `Driver`; each implementation reaches Starport its own way
(use cases on memory adapters, HTTP against a running server and the sandboxes, ...). Everything
a driver returns is a plain value defined here, so a Then step never sees an aggregate, an ORM row
or an HTTP response. A refusal by Starport (a domain rule, a 4xx) is raised as `Refused`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum


class PaymentMethod(StrEnum):
    """As the host app names them in `POST /api/payments/create-session`."""

    TELEGRAM_STARS = "telegram"
    CRYPTO_PAY = "cryptopay"
    CARD = "telegram_payments"  # a card, through Telegram's payments and a provider token


# The test card the issuer declines (Stripe's number; any other test card is charged).
DECLINED_CARD = "4000 0000 0000 0002"

# ISO 4217 currencies whose smallest unit is not the hundredth (the scenarios' own table, kept
# apart from Starport's so a wrong exponent there shows up as a wrong invoice here).
_NO_MINOR_UNIT = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"})
_THOUSANDTHS = frozenset({"BHD", "JOD", "KWD", "OMR", "TND", "IQD", "LYD"})


def smallest_units(amount: Decimal, currency: str) -> int:
    """An amount as people write it in the currency's smallest units, as Telegram invoices
    carry it: 4.99 USD is 499, 500 JPY is 500, 1.250 KWD is 1250, 50 XTR (Stars) is 50."""
    digits = 0 if currency == "XTR" or currency in _NO_MINOR_UNIT else (
        3 if currency in _THOUSANDTHS else 2)
    units = amount.scaleb(digits)
    assert units == units.to_integral_value(), f"{amount} {currency} is finer than its unit"
    return int(units)


class Job(StrEnum):
    """Scheduled jobs, by the names `starport jobs run NAME` takes."""

    EXPIRE_SESSIONS = "expire-sessions"
    RECONCILE_TELEGRAM_STARS = "reconcile-telegram-stars"
    RECONCILE_CRYPTOPAY = "reconcile-cryptopay"
    DISPATCH_OUTBOX = "dispatch-outbox"
    CHECK_MEMBERSHIPS = "check-memberships"
    BULK_INVITE = "bulk-invite"


@dataclass(frozen=True)
class Person:
    """Someone in a scenario: a user of the host app with their own Telegram account."""

    name: str
    user_id: str  # the host application's id of the user
    telegram_id: int
    language: str | None = None  # their Telegram app's language (language_code); None: "en"


@dataclass(frozen=True)
class Package:
    id: str
    title: str
    credits: int
    stars: int | None = None
    crypto: str | None = None  # "1.5 TON", "5 USD"
    card: str | None = None  # by card, in a real currency: "4.99 USD", "500 JPY"
    subscription: bool = False  # a monthly Star subscription that makes the buyer a patron


@dataclass(frozen=True)
class Shop:
    """How the shop is set up before anything happens in a scenario."""

    packages: tuple[Package, ...]
    payment_link_ttl: timedelta = timedelta(minutes=30)
    patrons_channel: bool = False
    join_bonus: int = 0


@dataclass(frozen=True)
class Session:
    """A purchase in progress (or done), as the host app sees it."""

    id: str
    user_id: str
    package: str
    method: PaymentMethod
    status: str  # pending | invoiced | paid | refunded | expired | cancelled | failed
    amount: Decimal
    currency: str
    credits: int
    expires_at: datetime
    deep_link: str | None = None
    invoice_link: str | None = None
    pay_url: str | None = None


@dataclass(frozen=True)
class Button:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class ChatMessage:
    """A message the bot sent into a user's chat."""

    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class ChatInvoice:
    """An invoice the bot sent into a user's chat: the amount in the currency's smallest units
    (whole Stars for XTR, cents for USD, yen for JPY), as Telegram takes it."""

    title: str
    description: str
    amount: int
    currency: str = "XTR"


@dataclass(frozen=True)
class PaymentAttempt:
    accepted: bool  # False: refused before the money was taken (pre-checkout)
    refusal_shown: str | None = None  # what Telegram showed the payer when refused
    credited: bool = False
    declined: bool = False  # accepted, but the payment provider declined the card


@dataclass(frozen=True)
class Balance:
    credits: int
    debt: int


@dataclass(frozen=True)
class StatementLine:
    kind: str  # purchase | spend | refund | bonus
    credits: int  # signed, from the user's point of view
    note: str = ""


@dataclass(frozen=True)
class SpendReceipt:
    balance: int
    replayed: bool  # True: the same spend was already recorded under that key


@dataclass(frozen=True)
class RefundReceipt:
    credits_taken: int
    debt: int
    already_refunded: bool


@dataclass(frozen=True)
class InviteLink:
    link: str
    uses_allowed: int
    expires_at: datetime


@dataclass(frozen=True)
class JobReport:
    job: Job
    counts: dict[str, int] = field(default_factory=dict)


class Refused(Exception):
    """Starport said no: `code` is the stable error code a client would see."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Driver(abc.ABC):
    """Everything the scenarios do. An ABC, so a driver that misses a method fails at once."""

    # -- life cycle ------------------------------------------------------------------------

    @abc.abstractmethod
    async def start(self, shop: Shop) -> None:
        """Open the shop: configure the catalog, channel and time limits; nothing exists yet."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    # -- buying ----------------------------------------------------------------------------

    @abc.abstractmethod
    async def create_session(
        self, user: Person, package: str, method: PaymentMethod, *, in_mini_app: bool = False
    ) -> Session:
        """The host app (or, with `in_mini_app`, the user's Mini App) starts a purchase."""

    @abc.abstractmethod
    async def session(self, session: Session) -> Session:
        """The purchase as it stands now."""

    @abc.abstractmethod
    async def open_deep_link(self, tg_user: Person, session: Session) -> None:
        """The user taps the purchase's deep link and lands in the bot's chat."""

    @abc.abstractmethod
    async def open_invoice_link(self, tg_user: Person, session: Session) -> None:
        """The Mini App opens the purchase's invoice link for the user."""

    @abc.abstractmethod
    async def pay(
        self, tg_user: Person, session: Session, amount: int | None = None
    ) -> PaymentAttempt:
        """The user pays the Stars invoice (of `amount` Stars if given, else the price):
        Telegram asks the pre-checkout question, and only if accepted takes the Stars and
        reports the successful payment."""

    @abc.abstractmethod
    async def card_pay(
        self, tg_user: Person, session: Session, amount: Decimal | None = None,
        currency: str | None = None, card: str | None = None,
    ) -> PaymentAttempt:
        """The user pays the purchase's invoice by card (`amount` of `currency`, as people
        write it, if given: an invoice for the same purchase at another price; else the
        price): Telegram asks the pre-checkout question and, only if accepted, the payment
        provider charges the card (`card`: a test card number; "4000 0000 0000 0002" is
        declined) and Telegram reports the successful payment."""

    @abc.abstractmethod
    async def crypto_pay(
        self, session: Session, amount: Decimal | None = None, lose_webhook: bool = False
    ) -> PaymentAttempt:
        """The user pays the Crypto Pay invoice (`amount` of its asset if given, else the
        price). With `lose_webhook` Crypto Pay records the payment but we never hear of it."""

    @abc.abstractmethod
    async def deliver_payment_again(self, session: Session) -> PaymentAttempt:
        """The provider delivers its latest payment notification for the session once more
        (or, after a lost webhook, at last)."""

    @abc.abstractmethod
    async def money_returned(self, session: Session) -> bool:
        """Whether the provider gave the payer their money back."""

    @abc.abstractmethod
    async def allow_crypto_transfers(self, allowed: bool) -> None:
        """The shop's Crypto Pay app setting in @CryptoBot; allowed, its balance also covers
        what it sends back (Crypto Pay keeps its fee on each payment)."""

    @abc.abstractmethod
    async def crypto_transfers(self) -> list[tuple[int, str]]:
        """What the Crypto Pay app sent by transfer, oldest first: (Telegram id, "1.5 TON")."""

    # -- refunds ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def admin_refund(self, session: Session) -> RefundReceipt: ...

    @abc.abstractmethod
    async def provider_refund(self, session: Session) -> RefundReceipt:
        """The provider reports a refund it made on its own (Telegram's refunded_payment)."""

    @abc.abstractmethod
    async def record_refund(self, session: Session) -> RefundReceipt:
        """An admin records a refund they made outside Starport (in the payment provider's
        dashboard), so its credits come back out."""

    # -- credits ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def spend(
        self, user: Person, credits: int, key: str, reason: str = ""
    ) -> SpendReceipt: ...

    @abc.abstractmethod
    async def balance(self, user: Person) -> Balance: ...

    @abc.abstractmethod
    async def statement(self, user: Person) -> list[StatementLine]:
        """The user's ledger lines, newest first."""

    # -- the chat --------------------------------------------------------------------------

    @abc.abstractmethod
    async def messages_to(self, tg_user: Person) -> list[ChatMessage]:
        """Every message the bot sent the user, oldest first."""

    @abc.abstractmethod
    async def invoices_to(self, tg_user: Person) -> list[ChatInvoice]: ...

    @abc.abstractmethod
    async def send_to_bot(self, tg_user: Person, text: str) -> None:
        """The user writes `text` in the bot's chat: a command (/start, /buy, /balance,
        /support, /paysupport, /done) or, to support, words."""

    @abc.abstractmethod
    async def press_button(self, tg_user: Person, text: str) -> None:
        """The user presses the inline button labelled `text` under the latest bot message
        that has one. The bot answers in the chat; nothing is raised."""

    @abc.abstractmethod
    async def pay_invoice_in_chat(self, tg_user: Person, amount: int | None = None
                                  ) -> PaymentAttempt:
        """The user pays the latest unpaid Stars invoice in their chat (of `amount` Stars if
        given), as `pay` does for a purchase the scenario knows."""

    @abc.abstractmethod
    async def limit_payments(self, sessions_per_hour: int, failures: int,
                             cooldown: timedelta) -> None:
        """From now on each person may open `sessions_per_hour` purchases an hour, and waits
        `cooldown` after `failures` refused or failed payments (0 turns a limit off)."""

    # -- support ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def open_support_group(self, agent: Person) -> None:
        """From now on the shop has a support group (STARPORT_SUPPORT_CHAT_ID) with the bot and
        the agent in it."""

    @abc.abstractmethod
    async def support_group_texts(self) -> list[str]:
        """What the bot posted in the support group, oldest first."""

    @abc.abstractmethod
    async def reply_in_support_group(self, agent: Person, text: str, to: str) -> None:
        """The agent replies, in the support group, to the bot's latest message there that
        contains `to`."""

    # -- the patrons' channel --------------------------------------------------------------

    @abc.abstractmethod
    async def make_patron(self, tg_user: Person) -> InviteLink | None:
        """An admin makes the user a patron; the invite created for them, if any."""

    @abc.abstractmethod
    async def join_channel(self, tg_user: Person) -> None:
        """The user joins the channel, through the last invite link the bot sent them."""

    @abc.abstractmethod
    async def leave_channel(self, tg_user: Person) -> None: ...

    @abc.abstractmethod
    async def request_to_join(self, tg_user: Person) -> bool:
        """The user asks to join the channel; True when the request was approved."""

    # -- admin -----------------------------------------------------------------------------

    @abc.abstractmethod
    async def edit_bot_message(self, key: str, text: str, language: str | None = None) -> str:
        """An admin changes a bot message (in `language`; None: the default language); the
        text now in force."""

    @abc.abstractmethod
    async def bot_message(self, key: str) -> str:
        """The text of a bot message as the admin sees it."""

    # -- time and jobs ---------------------------------------------------------------------

    @abc.abstractmethod
    async def advance_time(self, delta: timedelta) -> None: ...

    @abc.abstractmethod
    async def run_job(self, job: Job) -> JobReport: ...

    # -- jobs and the patrons' channel, further (features/jobs, features/perks) -----------

    @abc.abstractmethod
    async def pay_with_lost_update(self, tg_user: Person, session: Session) -> PaymentAttempt:
        """The user pays the Stars invoice; Telegram takes the Stars but its successful
        payment update never reaches Starport (only getStarTransactions lists it)."""

    @abc.abstractmethod
    async def renew_subscription(self, tg_user: Person) -> None:
        """Telegram charges the user's Star subscription for another period."""

    @abc.abstractmethod
    async def cancel_subscription(self, tg_user: Person) -> None:
        """The user cancels their Star subscription in Telegram: it will not renew."""

    @abc.abstractmethod
    async def make_patron_for(self, tg_user: Person, period: timedelta) -> InviteLink | None:
        """An admin makes the user a patron until `period` from now."""

    @abc.abstractmethod
    async def in_channel(self, tg_user: Person) -> bool:
        """Whether the user is a member of the patrons' channel, as Telegram sees it."""

    @abc.abstractmethod
    async def invite_revoked(self, link: str) -> bool:
        """Whether the channel invite link was revoked at Telegram."""

    @abc.abstractmethod
    async def telegram_fails_sending(self, times: int) -> None:
        """The next `times` messages the bot sends fail at Telegram (a 5xx, a network error)."""

    @abc.abstractmethod
    async def set_bot_channel_admin(self, is_admin: bool) -> None:
        """Make the bot an administrator of the patrons' channel, or a plain member."""
