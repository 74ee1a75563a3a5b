"""Repository ports: how the use cases load and save aggregates inside a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from starport.application.effects import OutboxItem, OutboxStatus
from starport.domain.audit import AdminAction
from starport.domain.bot_messages import BotMessage, BotMessageChange
from starport.domain.charges import Charge
from starport.domain.ledger import Account, JournalEntry
from starport.domain.links import LinkToken, TelegramLink
from starport.domain.perks import Invite, JoinBonus, Membership, Patron
from starport.domain.providers import Provider
from starport.domain.refunds import Refund
from starport.domain.sessions import PaymentSession, SessionStatus
from starport.domain.support import SupportConversation, SupportMessage

if TYPE_CHECKING:
    from starport.application.deliveries import Delivery, DeliveryQuery


@dataclass(frozen=True)
class SessionQuery:
    """The back office's search of payment sessions: every field narrows, newest first."""

    session_ids: tuple[str, ...] | None = None  # None: any; () finds nothing
    user_ids: tuple[str, ...] | None = None
    telegram_user_id: int | None = None
    provider: Provider | None = None
    status: SessionStatus | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before
    before: tuple[datetime, str] | None = None  # the next page: after (created_at, id) shown
    limit: int = 50


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """A create-session request made with an Idempotency-Key: the same key from the same caller
    (`scope`) gets the same session back; with another request (`fingerprint`) it is refused."""

    scope: str  # "host", or "tma:<telegram id>" for a Mini App user
    key: str
    fingerprint: str  # what was asked, as the edge saw it (a hash of the request)
    session_id: str
    created_at: datetime


class IdempotencyRepository(Protocol):
    async def get(self, scope: str, key: str) -> IdempotentRequest | None: ...

    async def add(self, request: IdempotentRequest) -> None:
        """Conflict if the caller's key is taken (a concurrent request with it won)."""
        ...


class LinkRepository(Protocol):
    async def get(self, telegram_user_id: int) -> TelegramLink | None: ...

    async def for_user(self, user_id: str) -> Sequence[TelegramLink]: ...

    async def add(self, link: TelegramLink) -> None:
        """Conflict if the Telegram account is linked already (a concurrent link won)."""
        ...

    async def add_if_absent(self, link: TelegramLink) -> bool:
        """Link it unless it is linked already (to anyone): whether this made the link."""
        ...

    async def put_if_absent(self, link: TelegramLink) -> None:
        """As `add_if_absent`, for a caller that needs no answer: on PostgreSQL a write that
        waits to go with the unit's next statement or its commit."""
        ...

    async def remove(self, telegram_user_id: int) -> None: ...


class LinkTokenRepository(Protocol):
    async def get(self, token: str) -> LinkToken | None: ...

    async def add(self, token: LinkToken) -> None: ...

    async def save(self, token: LinkToken) -> None: ...


class SupportRepository(Protocol):
    """Support conversations and their messages."""

    async def add(self, conversation: SupportConversation) -> None: ...

    async def save(self, conversation: SupportConversation) -> None: ...

    async def get(self, conversation_id: str) -> SupportConversation | None: ...

    async def latest_of(self, telegram_user_id: int) -> SupportConversation | None:
        """The user's most recently opened conversation (open or not)."""
        ...

    async def page(self, limit: int, before: SupportConversation | None
                   ) -> Sequence[SupportConversation]:
        """Newest opened first; after `before` (a cursor: the last of the previous page)."""
        ...

    async def add_message(self, message: SupportMessage) -> None: ...

    async def note_relayed(self, message_id: str, chat_id: int, support_message_id: int
                           ) -> None:
        """The message's copy is that message of the support chat `chat_id`."""
        ...

    async def relayed_as(self, chat_id: int, support_message_id: int
                         ) -> SupportMessage | None:
        """The user's message whose copy is that message of the support chat `chat_id`."""
        ...

    async def messages(self, conversation_id: str) -> Sequence[SupportMessage]:
        """Oldest first."""
        ...


class SessionRepository(Protocol):
    async def add(self, session: PaymentSession) -> None: ...

    async def get(self, session_id: str) -> PaymentSession | None:
        """Load for change: SQL implementations lock the row until the unit of work ends."""
        ...

    async def with_charge(self, session_id: str, provider: Provider, charge_id: str
                          ) -> tuple[PaymentSession | None, Charge | None]:
        """The session, loaded for change as `get` loads it, and the charge stored under
        (provider, charge id) if any: what judging a reported charge needs. The charge is as
        stored once the session is held, except one stored meanwhile by a holder that left the
        session unchanged (PostgreSQL reads both in one statement): an insert of that charge
        is then a `Conflict`, which the bus retries."""
        ...

    async def for_checkout(self, session_id: str, payer_telegram_id: int,
                           failures_since: datetime | None
                           ) -> tuple[PaymentSession | None, str, Sequence[datetime]]:
        """What a pre-checkout reads, nothing locked: the session (None if unknown), whose
        limits a refusal counts against (`checkout_blames`), and that user's failures after
        `failures_since`, oldest first (none read when it is None: the limits are off)."""
        ...

    async def by_invoice(self, provider: Provider, invoice_id: str) -> PaymentSession | None: ...

    async def save(self, session: PaymentSession) -> None: ...

    async def expired_open(self, now: datetime, limit: int) -> Sequence[PaymentSession]: ...

    async def open_for(self, provider: Provider, limit: int, after_id: str | None
                       ) -> Sequence[PaymentSession]: ...

    async def last_invoice_number(self, provider: Provider) -> int | None:
        """The highest numeric invoice id of the provider's sessions (None: none yet)."""
        ...

    async def recent_of(self, telegram_user_id: int, user_id: str, limit: int
                        ) -> Sequence[PaymentSession]:
        """Sessions paid (or to be paid) by that Telegram account or for that user, newest
        first (read only: nothing is locked)."""
        ...


class ChargeRepository(Protocol):
    async def get(self, provider: Provider, charge_id: str) -> Charge | None: ...

    async def add(self, charge: Charge) -> None:
        """Store a settled charge; one already stored for (provider, charge id): Conflict."""
        ...

    async def save(self, charge: Charge) -> None: ...


class LedgerRepository(Protocol):
    async def accounts(self, ids: Sequence[str]) -> dict[str, Account]:
        """The named accounts, created at zero when new, locked (in id order) for change."""
        ...

    async def accounts_and_held(self, ids: Sequence[str], held_by: str | None
                                ) -> tuple[dict[str, Account], int]:
        """`accounts(ids)`, and what `held_by` holds, read without opening or locking it (0
        when it has no account; PostgreSQL: in the accounts' statement): whether a transfer
        from it is worth locking it for."""
        ...

    async def entry_by_key(self, idempotency_key: str) -> JournalEntry | None: ...

    async def add(self, entry: JournalEntry, accounts: dict[str, Account]) -> None:
        """Store the entry and the accounts' new balances; a reused key raises Conflict."""
        ...

    async def balance(self, account_id: str) -> int: ...

    async def entries(self, account_id: str, limit: int, before: datetime | None = None
                      ) -> Sequence[JournalEntry]:
        """Newest first."""
        ...

    async def total(self) -> int:
        """The sum of every posting ever recorded (zero in a sound ledger)."""
        ...


class RefundRepository(Protocol):
    async def add(self, refund: Refund) -> None: ...

    async def for_session(self, session_id: str) -> Refund | None: ...


class PatronRepository(Protocol):
    async def get(self, telegram_user_id: int) -> Patron | None: ...

    async def add(self, patron: Patron) -> None: ...

    async def save(self, patron: Patron) -> None: ...

    async def page(self, after_telegram_id: int | None, limit: int) -> Sequence[Patron]:
        """Every patron (active or not), by Telegram id ascending, for batch jobs."""
        ...


class MembershipRepository(Protocol):
    async def get(self, telegram_user_id: int) -> Membership | None: ...

    async def save(self, membership: Membership) -> None: ...


class InviteRepository(Protocol):
    async def add(self, invite: Invite) -> None: ...

    async def save(self, invite: Invite) -> None: ...

    async def for_user(self, telegram_user_id: int) -> Sequence[Invite]: ...

    async def by_link(self, link: str) -> Invite | None: ...


class BonusRepository(Protocol):
    async def get(self, telegram_user_id: int) -> JoinBonus | None: ...

    async def add(self, bonus: JoinBonus) -> None: ...


class BotMessageRepository(Protocol):
    async def texts(self, key: str) -> Sequence[BotMessage]:
        """The key's own text in each language that has one (none: the shipped default). One
        read for every language, as each message sent needs them."""
        ...

    async def get(self, key: str, language: str) -> BotMessage | None:
        """None when the language has no text of its own for the key."""
        ...

    async def save(self, message: BotMessage) -> None: ...

    async def remove(self, message: BotMessage) -> None:
        """Forget the language's own text: its readers fall back."""
        ...

    async def record_change(self, change: BotMessageChange) -> None: ...

    async def history(self, key: str, limit: int, language: str | None = None
                      ) -> Sequence[BotMessageChange]:
        """Newest first; every language's unless one is named."""
        ...


class OutboxRepository(Protocol):
    async def add(self, item: OutboxItem) -> None: ...

    async def claim(self, now: datetime, lease_until: datetime) -> OutboxItem | None:
        """The next due pending item whose lease has run out, of a chat with no other item in
        flight, leased to the caller; `previous_lease` says whose lease ran out, if any. An
        event (`PublishEvent`) waits for every earlier pending event of its lane, even one
        waiting for its next retry: a user's events go out in order."""
        ...

    async def pending_in(self, chat_id: int) -> bool:
        """Whether the chat (or a user's event lane) has an item still to go out."""
        ...

    async def events(self, *, status: OutboxStatus | None = None, chat_id: int | None = None,
                     before: tuple[datetime, str] | None = None, limit: int = 50
                     ) -> list[OutboxItem]:
        """The events (`PublishEvent` items), newest first: of one status, of one lane, after
        the (created_at, id) of the last one shown (the next page)."""
        ...

    async def renew(self, ids: Sequence[str], now: datetime, lease_until: datetime) -> int:
        """Extend the leases still running of these pending items (one statement); a lease
        that ran out or was released stays as it is. How many were extended."""
        ...

    async def record(self, *items: OutboxItem) -> None:
        """Store what came of their attempts: status, attempts, error, next try; leases
        released (one statement)."""
        ...

    async def get(self, item_id: str) -> OutboxItem | None: ...

    async def count(self, status: OutboxStatus) -> int: ...

    async def oldest_pending(self) -> datetime | None:
        """When the oldest item still waiting to go out was queued."""
        ...


class CursorRepository(Protocol):
    """Small named values kept by jobs (reconciliation cursors)."""

    async def get(self, name: str) -> str | None: ...

    async def set(self, name: str, value: str) -> None: ...


class LimitRepository(Protocol):
    """Per-user payment attempts ("session" opened, "failure"), for the payment limits."""

    async def hold(self, user_key: str, now: datetime) -> None:
        """Serialise this user's limit checks until the unit of work ends, across instances
        (SQL: a row lock on the user's guard row)."""
        ...

    async def times(self, user_key: str, kind: str, since: datetime) -> Sequence[datetime]:
        """When the user's attempts of that kind happened, after `since`, oldest first."""
        ...

    async def record(self, user_key: str, kind: str, at: datetime) -> None: ...

    async def prune(self, before: datetime) -> int:
        """Forget attempts older than `before`; how many went."""
        ...


class DeliveryRepository(Protocol):
    """Deliveries as received, each (source, update id) once: the duplicate check and the
    record kept for disputes, one store."""

    async def add(self, delivery: Delivery) -> bool:
        """Store it with its outcome; False (and nothing stored) when its (source, update id)
        is stored already."""
        ...

    async def find(self, query: DeliveryQuery) -> Sequence[Delivery]:
        """Matching deliveries, newest first."""
        ...

    async def last_update_id(self, source: str) -> int | None:
        """The highest update id stored from `source` (None: none)."""
        ...

    async def prune(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` deliveries received before `before`; how many went."""
        ...


class BackOfficeReader(Protocol):
    """What the admins look up across the records (reads only; not on any payment's path)."""

    async def sessions(self, query: SessionQuery) -> Sequence[PaymentSession]: ...

    async def charges_of(self, session_id: str) -> Sequence[Charge]:
        """Every charge reported for a session, oldest first."""
        ...

    async def charges_by_id(self, charge_id: str) -> Sequence[Charge]:
        """A charge id at any provider (a Telegram charge id, a Crypto Pay invoice id)."""
        ...

    async def entries_about(self, reference: str) -> Sequence[JournalEntry]:
        """Ledger entries whose reference is this (a session id), oldest first."""
        ...

    async def settled_between(self, since: datetime, until: datetime
                              ) -> Sequence[PaymentSession]:
        """Sessions paid, or refunded, in [since, until)."""
        ...

    async def charges_between(self, since: datetime, until: datetime) -> Sequence[Charge]:
        """Charges reported in [since, until) (rejected and returned ones among them)."""
        ...

    async def outbox(self, status: OutboxStatus | None, limit: int,
                     before: datetime | None = None) -> Sequence[OutboxItem]:
        """Outbox items of every kind, newest first."""
        ...


class AuditRepository(Protocol):
    async def add(self, action: AdminAction) -> None: ...

    async def find(self, *, admin: str | None = None, target: str | None = None,
                   before: tuple[datetime, str] | None = None, limit: int = 50
                   ) -> Sequence[AdminAction]:
        """Newest first; `before`: the (at, id) of the last one shown (the next page)."""
        ...
