"""In-memory repositories over transactional tables; they behave as the SQL ones do."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from starport.adapters.memory.table import Table, TxView
from starport.application.deliveries import Delivery, DeliveryQuery
from starport.application.effects import OutboxItem, OutboxStatus, PublishEvent
from starport.application.repositories import IdempotentRequest
from starport.application.unit_of_work import Conflict
from starport.domain.audit import AdminAction
from starport.domain.bot_messages import BotMessage, BotMessageChange
from starport.domain.charges import Charge
from starport.domain.ledger import Account, JournalEntry
from starport.domain.limits import FAILURE, checkout_blames
from starport.domain.links import LinkToken, TelegramLink
from starport.domain.perks import Invite, JoinBonus, Membership, Patron
from starport.domain.providers import Provider
from starport.domain.refunds import Refund
from starport.domain.sessions import PaymentSession
from starport.domain.support import SupportConversation, SupportMessage

Attempt = tuple[int, str, str, datetime]  # number, user key, kind, when


@dataclass
class MemoryStore:
    """Everything the in-memory back end holds, shared by its units of work."""

    sessions: Table[str, PaymentSession] = field(default_factory=Table)
    charges: Table[tuple[Provider, str], Charge] = field(default_factory=Table)
    accounts: Table[str, Account] = field(default_factory=Table)
    entries: Table[str, JournalEntry] = field(default_factory=Table)  # by idempotency key
    refunds: Table[str, Refund] = field(default_factory=Table)
    patrons: Table[int, Patron] = field(default_factory=Table)
    memberships: Table[int, Membership] = field(default_factory=Table)
    invites: Table[str, Invite] = field(default_factory=Table)
    bonuses: Table[int, JoinBonus] = field(default_factory=Table)
    # (key, language); a removed text is kept as None (TxView has no delete)
    bot_messages: Table[tuple[str, str], BotMessage | None] = field(default_factory=Table)
    bot_message_changes: Table[int, BotMessageChange] = field(default_factory=Table)
    # Keyed by (source, update id): the key is the duplicate check. Deleted rows: None.
    deliveries: Table[tuple[str, str], Delivery | None] = field(default_factory=Table)
    outbox: Table[str, OutboxItem] = field(default_factory=Table)
    cursors: Table[str, str] = field(default_factory=Table)
    idempotency: Table[tuple[str, str], IdempotentRequest] = field(default_factory=Table)
    links: Table[int, TelegramLink | None] = field(default_factory=Table)  # unlinked: None
    link_tokens: Table[str, LinkToken] = field(default_factory=Table)
    admin_actions: Table[str, AdminAction] = field(default_factory=Table)
    conversations: Table[str, SupportConversation] = field(default_factory=Table)
    support_messages: Table[str, SupportMessage] = field(default_factory=Table)
    # Deleted rows stay as None (a tombstone): the tables know only put.
    attempts: Table[int, Attempt | None] = field(default_factory=Table)
    attempt_numbers: itertools.count[int] = field(default_factory=itertools.count)


class MemorySessions:
    def __init__(self, view: TxView[str, PaymentSession],
                 charges: TxView[tuple[Provider, str], Charge],
                 attempts: MemoryLimits) -> None:
        self._v = view
        self._charges = charges
        self._attempts = attempts

    async def add(self, session: PaymentSession) -> None:
        if self._v.exists(session.id):
            raise Conflict(f"session {session.id} exists")
        self._v.put(session.id, session)

    async def get(self, session_id: str) -> PaymentSession | None:
        return self._v.get(session_id)

    async def with_charge(self, session_id: str, provider: Provider, charge_id: str
                          ) -> tuple[PaymentSession | None, Charge | None]:
        return self._v.get(session_id), self._charges.get((provider, charge_id))

    async def for_checkout(self, session_id: str, payer_telegram_id: int,
                           failures_since: datetime | None
                           ) -> tuple[PaymentSession | None, str, Sequence[datetime]]:
        session = self._v.get(session_id)
        blamed = checkout_blames(session, payer_telegram_id)
        failures = (() if failures_since is None
                    else await self._attempts.times(blamed, FAILURE, failures_since))
        return session, blamed, failures

    async def by_invoice(self, provider: Provider, invoice_id: str) -> PaymentSession | None:
        return next((s for s in self._v.values()
                     if s.provider is provider and s.invoice_id == invoice_id), None)

    async def save(self, session: PaymentSession) -> None:
        self._v.put(session.id, session)

    async def expired_open(self, now: datetime, limit: int) -> Sequence[PaymentSession]:
        found = [s for s in self._v.values() if s.status.is_open and s.expires_at <= now]
        return sorted(found, key=lambda s: s.expires_at)[:limit]

    async def open_for(self, provider: Provider, limit: int, after_id: str | None
                       ) -> Sequence[PaymentSession]:
        found = [s for s in self._v.values() if s.provider is provider and s.status.is_open
                 and s.invoice_id is not None and (after_id is None or s.id > after_id)]
        return sorted(found, key=lambda s: s.id)[:limit]

    async def last_invoice_number(self, provider: Provider) -> int | None:
        return _numbers(s.invoice_id for s in self._v.values() if s.provider is provider)

    async def recent_of(self, telegram_user_id: int, user_id: str, limit: int
                        ) -> Sequence[PaymentSession]:
        found = [s for s in self._v.values()
                 if s.telegram_user_id == telegram_user_id or s.user_id == user_id]
        return sorted(found, key=lambda s: (s.created_at, s.id), reverse=True)[:limit]


def _numbers(values: Iterable[str | None]) -> int | None:
    found = [int(v) for v in values if v is not None and v.isdigit()]
    return max(found) if found else None


class MemoryCharges:
    def __init__(self, view: TxView[tuple[Provider, str], Charge]) -> None:
        self._v = view

    async def get(self, provider: Provider, charge_id: str) -> Charge | None:
        return self._v.get((provider, charge_id))

    async def add(self, charge: Charge) -> None:
        key = (charge.provider, charge.charge_id)
        if self._v.exists(key):
            raise Conflict(f"charge {charge.provider}:{charge.charge_id} exists")
        self._v.put(key, charge)

    async def save(self, charge: Charge) -> None:
        self._v.put((charge.provider, charge.charge_id), charge)


class MemoryLedger:
    def __init__(self, accounts: TxView[str, Account], entries: TxView[str, JournalEntry]
                 ) -> None:
        self._accounts = accounts
        self._entries = entries

    async def accounts(self, ids: Sequence[str]) -> dict[str, Account]:
        found: dict[str, Account] = {}
        for account_id in sorted(set(ids)):
            account = self._accounts.get(account_id)
            if account is None:
                account = Account(account_id)
                self._accounts.put(account_id, account)
            found[account_id] = account
        return found

    async def entry_by_key(self, idempotency_key: str) -> JournalEntry | None:
        return self._entries.get(idempotency_key)

    async def add(self, entry: JournalEntry, accounts: dict[str, Account]) -> None:
        if self._entries.exists(entry.idempotency_key):
            raise Conflict(f"entry {entry.idempotency_key} exists")
        self._entries.put(entry.idempotency_key, entry)
        for account in accounts.values():
            self._accounts.put(account.id, account)

    async def balance(self, account_id: str) -> int:
        account = self._accounts.get(account_id)
        return account.balance if account else 0

    async def accounts_and_held(self, ids: Sequence[str], held_by: str | None
                                ) -> tuple[dict[str, Account], int]:
        accounts = await self.accounts(ids)
        return accounts, 0 if held_by is None else await self.balance(held_by)

    async def entries(self, account_id: str, limit: int, before: datetime | None = None
                      ) -> Sequence[JournalEntry]:
        found = [e for e in self._entries.values()
                 if any(p.account == account_id for p in e.postings)
                 and (before is None or e.created_at < before)]
        return sorted(found, key=lambda e: (e.created_at, e.id), reverse=True)[:limit]

    async def total(self) -> int:
        return sum(p.amount for e in self._entries.values() for p in e.postings)


class MemoryRefunds:
    def __init__(self, view: TxView[str, Refund]) -> None:
        self._v = view

    async def add(self, refund: Refund) -> None:
        if self._v.exists(refund.session_id):
            raise Conflict(f"session {refund.session_id} already refunded")
        self._v.put(refund.session_id, refund)

    async def for_session(self, session_id: str) -> Refund | None:
        return self._v.get(session_id)


class MemoryPatrons:
    def __init__(self, view: TxView[int, Patron]) -> None:
        self._v = view

    async def get(self, telegram_user_id: int) -> Patron | None:
        return self._v.get(telegram_user_id)

    async def add(self, patron: Patron) -> None:
        if self._v.exists(patron.telegram_user_id):
            raise Conflict(f"patron {patron.telegram_user_id} exists")
        self._v.put(patron.telegram_user_id, patron)

    async def save(self, patron: Patron) -> None:
        self._v.put(patron.telegram_user_id, patron)

    async def page(self, after_telegram_id: int | None, limit: int) -> Sequence[Patron]:
        found = [p for p in self._v.values()
                 if after_telegram_id is None or p.telegram_user_id > after_telegram_id]
        return sorted(found, key=lambda p: p.telegram_user_id)[:limit]


class MemoryMemberships:
    def __init__(self, view: TxView[int, Membership]) -> None:
        self._v = view

    async def get(self, telegram_user_id: int) -> Membership | None:
        return self._v.get(telegram_user_id)

    async def save(self, membership: Membership) -> None:
        self._v.put(membership.telegram_user_id, membership)


class MemoryInvites:
    def __init__(self, view: TxView[str, Invite]) -> None:
        self._v = view

    async def add(self, invite: Invite) -> None:
        self._v.put(invite.link, invite)

    async def save(self, invite: Invite) -> None:
        self._v.put(invite.link, invite)

    async def for_user(self, telegram_user_id: int) -> Sequence[Invite]:
        found = [i for i in self._v.values() if i.telegram_user_id == telegram_user_id]
        return sorted(found, key=lambda i: i.created_at)

    async def by_link(self, link: str) -> Invite | None:
        return self._v.get(link)


class MemoryBonuses:
    def __init__(self, view: TxView[int, JoinBonus]) -> None:
        self._v = view

    async def get(self, telegram_user_id: int) -> JoinBonus | None:
        return self._v.get(telegram_user_id)

    async def add(self, bonus: JoinBonus) -> None:
        if self._v.exists(bonus.telegram_user_id):
            raise Conflict(f"bonus for {bonus.telegram_user_id} exists")
        self._v.put(bonus.telegram_user_id, bonus)


class MemoryBotMessages:
    def __init__(self, messages: TxView[tuple[str, str], BotMessage | None],
                 changes: TxView[int, BotMessageChange]) -> None:
        self._messages = messages
        self._changes = changes

    async def texts(self, key: str) -> Sequence[BotMessage]:
        return sorted((m for m in self._messages.values() if m is not None and m.key == key),
                      key=lambda m: m.language)

    async def get(self, key: str, language: str) -> BotMessage | None:
        return self._messages.get((key, language))

    async def save(self, message: BotMessage) -> None:
        self._messages.put((message.key, message.language), message)

    async def remove(self, message: BotMessage) -> None:
        self._messages.put((message.key, message.language), None)

    async def record_change(self, change: BotMessageChange) -> None:
        self._changes.put(self._count() + 1, change)

    async def history(self, key: str, limit: int, language: str | None = None
                      ) -> Sequence[BotMessageChange]:
        numbered = ((n, self._changes.get(n)) for n in range(1, self._count() + 1))
        found = [(c.changed_at, n, c) for n, c in numbered
                 if c is not None and c.key == key and language in (None, c.language)]
        # Newest first; at the same moment, the later recorded first (as SQL's id).
        return [c for _, _, c in sorted(found, key=lambda f: f[:2], reverse=True)[:limit]]

    def _count(self) -> int:
        return len(list(self._changes.values()))


class MemoryOutbox:
    def __init__(self, view: TxView[str, OutboxItem]) -> None:
        self._v = view

    async def add(self, item: OutboxItem) -> None:
        self._v.put(item.id, item)

    async def claim(self, now: datetime, lease_until: datetime) -> OutboxItem | None:
        pending = [i for i in self._v.values() if i.status is OutboxStatus.PENDING]
        busy = {i.chat_id for i in pending if i.lease_until is not None and i.lease_until > now}
        first_event: dict[int, OutboxItem] = {}  # a lane's events go out oldest first
        for i in sorted(pending, key=lambda i: (i.created_at, i.id)):
            if isinstance(i.effect, PublishEvent):
                first_event.setdefault(i.chat_id, i)
        due = [i for i in pending
               if i.available_at <= now and (i.lease_until is None or i.lease_until <= now)
               and i.chat_id not in busy  # a chat with an item in flight waits for it
               and (not isinstance(i.effect, PublishEvent) or first_event[i.chat_id] is i)]
        if not due:
            return None
        item = min(due, key=lambda i: (i.available_at, i.created_at, i.id))
        previous, item.lease_until = item.lease_until, lease_until
        self._v.put(item.id, item)
        return replace(item, previous_lease=previous)

    async def renew(self, ids: Sequence[str], now: datetime, lease_until: datetime) -> int:
        renewed = 0
        for item_id in ids:
            item = self._v.get(item_id)
            if (item is not None and item.status is OutboxStatus.PENDING
                    and item.lease_until is not None and item.lease_until > now):
                self._v.put(item_id, replace(item, lease_until=lease_until))
                renewed += 1
        return renewed

    async def record(self, *items: OutboxItem) -> None:
        for item in items:
            self._v.put(item.id, replace(item))

    async def get(self, item_id: str) -> OutboxItem | None:
        return self._v.get(item_id)

    async def count(self, status: OutboxStatus) -> int:
        return sum(1 for i in self._v.values() if i.status is status)

    async def pending_in(self, chat_id: int) -> bool:
        return any(i.chat_id == chat_id and i.status is OutboxStatus.PENDING
                   for i in self._v.values())

    async def events(self, *, status: OutboxStatus | None = None, chat_id: int | None = None,
                     before: tuple[datetime, str] | None = None, limit: int = 50
                     ) -> list[OutboxItem]:
        found = [i for i in self._v.values() if isinstance(i.effect, PublishEvent)
                 and (status is None or i.status is status)
                 and (chat_id is None or i.chat_id == chat_id)
                 and (before is None or (i.created_at, i.id) < before)]
        found.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        return found[:limit]

    async def oldest_pending(self) -> datetime | None:
        return min((i.created_at for i in self._v.values() if i.status is OutboxStatus.PENDING),
                   default=None)


class MemoryCursors:
    def __init__(self, view: TxView[str, str]) -> None:
        self._v = view

    async def get(self, name: str) -> str | None:
        return self._v.get(name)

    async def set(self, name: str, value: str) -> None:
        self._v.put(name, value)


class MemoryIdempotency:
    def __init__(self, view: TxView[tuple[str, str], IdempotentRequest]) -> None:
        self._v = view

    async def get(self, scope: str, key: str) -> IdempotentRequest | None:
        return self._v.get((scope, key))

    async def add(self, request: IdempotentRequest) -> None:
        if self._v.exists((request.scope, request.key)):
            raise Conflict(f"idempotency key {request.key!r} is taken")
        self._v.put((request.scope, request.key), request)


class MemoryLinks:
    def __init__(self, view: TxView[int, TelegramLink | None]) -> None:
        self._v = view

    async def get(self, telegram_user_id: int) -> TelegramLink | None:
        return self._v.get(telegram_user_id)

    async def for_user(self, user_id: str) -> Sequence[TelegramLink]:
        found = [link for link in self._v.values() if link and link.user_id == user_id]
        return sorted(found, key=lambda link: link.linked_at)

    async def add(self, link: TelegramLink) -> None:
        if self._v.get(link.telegram_user_id) is not None:
            raise Conflict(f"Telegram user {link.telegram_user_id} is linked already")
        self._v.put(link.telegram_user_id, link)

    async def add_if_absent(self, link: TelegramLink) -> bool:
        if self._v.get(link.telegram_user_id) is not None:
            return False
        self._v.put(link.telegram_user_id, link)
        return True

    async def put_if_absent(self, link: TelegramLink) -> None:
        await self.add_if_absent(link)

    async def remove(self, telegram_user_id: int) -> None:
        self._v.put(telegram_user_id, None)


class MemoryLinkTokens:
    def __init__(self, view: TxView[str, LinkToken]) -> None:
        self._v = view

    async def get(self, token: str) -> LinkToken | None:
        return self._v.get(token)

    async def add(self, token: LinkToken) -> None:
        self._v.put(token.token, token)

    async def save(self, token: LinkToken) -> None:
        self._v.put(token.token, token)


class MemorySupport:
    def __init__(self, conversations: TxView[str, SupportConversation],
                 messages: TxView[str, SupportMessage]) -> None:
        self._c = conversations
        self._m = messages

    async def add(self, conversation: SupportConversation) -> None:
        if self._c.exists(conversation.id):
            raise Conflict(f"support conversation {conversation.id} exists")
        self._c.put(conversation.id, conversation)

    async def save(self, conversation: SupportConversation) -> None:
        self._c.put(conversation.id, conversation)

    async def get(self, conversation_id: str) -> SupportConversation | None:
        return self._c.get(conversation_id)

    async def latest_of(self, telegram_user_id: int) -> SupportConversation | None:
        found = [c for c in self._c.values() if c.telegram_user_id == telegram_user_id]
        return max(found, key=_newest, default=None)

    async def page(self, limit: int, before: SupportConversation | None
                   ) -> Sequence[SupportConversation]:
        found = sorted(self._c.values(), key=_newest, reverse=True)
        if before is not None:
            found = [c for c in found if _newest(c) < _newest(before)]
        return found[:limit]

    async def add_message(self, message: SupportMessage) -> None:
        if self._m.exists(message.id):
            raise Conflict(f"support message {message.id} exists")
        self._m.put(message.id, message)

    async def note_relayed(self, message_id: str, chat_id: int, support_message_id: int
                           ) -> None:
        message = self._m.get(message_id)
        if message is not None:
            self._m.put(message_id, replace(message, support_chat_id=chat_id,
                                            support_message_id=support_message_id))

    async def relayed_as(self, chat_id: int, support_message_id: int
                         ) -> SupportMessage | None:
        return next((m for m in self._m.values() if m.support_chat_id == chat_id
                     and m.support_message_id == support_message_id), None)

    async def messages(self, conversation_id: str) -> Sequence[SupportMessage]:
        found = [m for m in self._m.values() if m.conversation_id == conversation_id]
        return sorted(found, key=lambda m: (m.sent_at, m.id))


def _newest(c: SupportConversation) -> tuple[datetime, str]:
    return c.opened_at, c.id


class MemoryLimits:
    def __init__(self, view: TxView[int, Attempt | None], numbers: itertools.count[int]
                 ) -> None:
        self._v = view
        self._numbers = numbers

    async def hold(self, user_key: str, now: datetime) -> None:
        return None  # one transaction at a time already

    async def times(self, user_key: str, kind: str, since: datetime) -> Sequence[datetime]:
        return sorted(at for a in self._v.values() if a is not None
                      for _, user, k, at in (a,) if user == user_key and k == kind and at > since)

    async def record(self, user_key: str, kind: str, at: datetime) -> None:
        number = next(self._numbers)
        self._v.put(number, (number, user_key, kind, at))

    async def prune(self, before: datetime) -> int:
        old = [a[0] for a in self._v.values() if a is not None and a[3] < before]
        for number in old:
            self._v.put(number, None)
        return len(old)


class MemoryDeliveries:
    def __init__(self, view: TxView[tuple[str, str], Delivery | None]) -> None:
        self._v = view

    async def add(self, delivery: Delivery) -> bool:
        key = (delivery.source, delivery.update_id)
        if self._v.get(key) is not None:
            return False
        self._v.put(key, replace(delivery))
        return True

    async def find(self, query: DeliveryQuery) -> Sequence[Delivery]:
        wanted = {"update_id": query.update_id, "charge_id": query.charge_id,
                  "invoice_id": query.invoice_id, "session_id": query.session_id,
                  "source": query.source}
        found = [d for d in self._v.values() if d is not None and all(
            value is None or getattr(d, name) == value for name, value in wanted.items())]
        return sorted(found, key=lambda d: (d.received_at, d.id), reverse=True)[:query.limit]

    async def last_update_id(self, source: str) -> int | None:
        return _numbers(d.update_id for d in self._v.values()
                        if d is not None and d.source == source)

    async def prune(self, before: datetime, limit: int) -> int:
        old = sorted((d for d in self._v.values() if d is not None and d.received_at < before),
                     key=lambda d: d.received_at)[:limit]
        for delivery in old:
            self._v.put((delivery.source, delivery.update_id), None)
        return len(old)
