"""What the admins look up: payments found by any id they hold, a payment's whole story, a
user, the outbox, and the figures per day. Reads only, except trying an outbox item again."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from starport.application import audit, host_events
from starport.application import commands as c
from starport.application.deliveries import Delivery, DeliveryQuery
from starport.application.deps import Deps
from starport.application.effects import OutboxItem, OutboxStatus, PublishEvent
from starport.application.outbox import perform
from starport.application.repositories import SessionQuery
from starport.application.unit_of_work import UnitOfWork
from starport.domain import ledger
from starport.domain.audit import AdminAction
from starport.domain.charges import Charge, ChargeStatus
from starport.domain.errors import EventNotFound, RetryNotAllowed, SessionNotFound
from starport.domain.ledger import JournalEntry
from starport.domain.links import TelegramLink, telegram_only_user
from starport.domain.perks import Patron
from starport.domain.providers import Provider
from starport.domain.refunds import Refund
from starport.domain.sessions import PaymentSession, SessionStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentSearch:
    """Any id an admin holds, and filters. `text` is tried as a session id, a user id, a
    Telegram id and a charge id (a Crypto Pay invoice id included) at once."""

    text: str | None = None
    user_id: str | None = None
    telegram_user_id: int | None = None
    charge_id: str | None = None
    provider: Provider | None = None
    status: SessionStatus | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: tuple[datetime, str] | None = None
    limit: int = 50


async def search_payments(deps: Deps, search: PaymentSearch) -> list[PaymentSession]:
    async with deps.uow(read_only=True) as uow:
        base = SessionQuery(provider=search.provider, status=search.status, since=search.since,
                            until=search.until, before=search.before, limit=search.limit)
        queries = []
        if search.text:
            queries += await _by_any_id(uow, base, search.text)
        if search.user_id is not None:
            queries.append(_narrow(base, user_ids=(search.user_id,)))
        if search.telegram_user_id is not None:
            queries += await _by_telegram(uow, base, search.telegram_user_id)
        if search.charge_id is not None:
            charges = await uow.back_office.charges_by_id(search.charge_id)
            queries.append(_narrow(base, session_ids=_sessions_of(charges)))
        if not (search.text or search.user_id is not None or search.telegram_user_id is not None
                or search.charge_id is not None):
            queries.append(base)
        found: dict[str, PaymentSession] = {}
        for query in queries:
            for session in await uow.back_office.sessions(query):
                found[session.id] = session
    ordered = sorted(found.values(), key=lambda s: (s.created_at, s.id), reverse=True)
    return ordered[:search.limit]


def _narrow(base: SessionQuery, **fields: Any) -> SessionQuery:
    return replace(base, **fields)


def _sessions_of(charges: Sequence[Charge]) -> tuple[str, ...]:
    return tuple(ch.session_id for ch in charges if ch.session_id)


async def _by_any_id(uow: UnitOfWork, base: SessionQuery, text: str) -> list[SessionQuery]:
    queries = [_narrow(base, session_ids=(text,)), _narrow(base, user_ids=(text,))]
    charges = await uow.back_office.charges_by_id(text)
    queries.append(_narrow(base, session_ids=_sessions_of(charges)))
    if text.isascii() and text.isdigit() and len(text) <= 18:
        queries += await _by_telegram(uow, base, int(text))
    return queries


async def _by_telegram(uow: UnitOfWork, base: SessionQuery, telegram_user_id: int
                       ) -> list[SessionQuery]:
    """Sessions the Telegram account opened or paid, and those of the user it is linked to."""
    users = [telegram_only_user(telegram_user_id)]
    link = await uow.links.get(telegram_user_id)
    if link is not None:
        users.append(link.user_id)
    return [_narrow(base, telegram_user_id=telegram_user_id),
            _narrow(base, user_ids=tuple(users))]


@dataclass(frozen=True)
class PaymentStory:
    """Everything that happened to one payment session, each part in the order it happened."""

    session: PaymentSession
    charges: list[Charge]
    entries: list[JournalEntry]
    refund: Refund | None
    deliveries: list[Delivery]
    events: list[OutboxItem]
    actions: list[AdminAction]


async def payment_story(deps: Deps, session_id: str) -> PaymentStory:
    async with deps.uow(read_only=True) as uow:
        session = await uow.sessions.get(session_id)
        if session is None:
            raise SessionNotFound(f"no payment session {session_id!r}")
        charges = list(await uow.back_office.charges_of(session_id))
        entries = list(await uow.back_office.entries_about(session_id))
        refund = await uow.refunds.for_session(session_id)
        deliveries = list(await uow.deliveries.find(DeliveryQuery(session_id=session_id,
                                                                  limit=100)))
        lane_events = await uow.outbox.events(chat_id=host_events.lane(session.user_id),
                                              limit=200)
        actions = list(await uow.audit.find(target=session_id, limit=100))
    events = [e for e in reversed(lane_events)  # oldest first
              if isinstance(e.effect, PublishEvent)
              and e.effect.data.get("sessionId") == session_id]
    return PaymentStory(session, charges, entries, refund,
                        sorted(deliveries, key=lambda d: d.received_at),
                        events,
                        sorted(actions, key=lambda a: a.at))


@dataclass(frozen=True)
class UserOverview:
    user_id: str
    balance: int
    debt: int
    entries: list[JournalEntry]
    links: list[TelegramLink]
    sessions: list[PaymentSession]
    patrons: list[Patron]
    actions: list[AdminAction]


async def user_overview(deps: Deps, user_id: str, limit: int = 50) -> UserOverview:
    account = ledger.user_account(user_id)
    async with deps.uow(read_only=True) as uow:
        balance = await uow.ledger.balance(account)
        entries = list(await uow.ledger.entries(account, limit))
        links = list(await uow.links.for_user(user_id))
        sessions = list(await uow.back_office.sessions(SessionQuery(user_ids=(user_id,),
                                                                    limit=limit)))
        telegram_ids = {link.telegram_user_id for link in links}
        if user_id.isascii() and user_id.isdigit() and len(user_id) <= 18:
            telegram_ids.add(int(user_id))  # a Telegram-only account
        patrons = [p for p in [await uow.patrons.get(t) for t in sorted(telegram_ids)] if p]
        actions = list(await uow.audit.find(target=user_id, limit=limit))
    return UserOverview(user_id, balance, max(0, -balance), entries, links, sessions, patrons,
                        actions)


async def list_patrons(deps: Deps, after: int | None, limit: int) -> list[Patron]:
    async with deps.uow(read_only=True) as uow:
        return list(await uow.patrons.page(after, limit))


async def list_outbox(deps: Deps, status: OutboxStatus | None, limit: int,
                      before: datetime | None = None) -> list[OutboxItem]:
    async with deps.uow(read_only=True) as uow:
        return list(await uow.back_office.outbox(status, limit, before))


async def retry_outbox_item(deps: Deps, cmd: c.RetryOutboxItem) -> OutboxItem:
    return await retry(deps, cmd.item_id, cmd.requested_by, events_only=False)


async def retry(deps: Deps, item_id: str, who: str, *, events_only: bool) -> OutboxItem:
    """Try the item now, whatever its status (a failed one gets a fresh round of attempts).
    Held with a lease meanwhile, so the dispatch job leaves it; the result is stored as the
    item's, and the retry is on the audit trail."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        item = await uow.outbox.get(item_id)
        if item is None or (events_only and not isinstance(item.effect, PublishEvent)):
            raise EventNotFound(f"no {'event' if events_only else 'outbox item'} {item_id!r}")
        if item.status is OutboxStatus.PENDING and item.lease_until and item.lease_until > now:
            raise RetryNotAllowed(f"{item.id} is being sent right now (until "
                                  f"{item.lease_until:%H:%M:%S} UTC): look again then")
        if item.status is OutboxStatus.SENT and not isinstance(item.effect, PublishEvent):
            raise RetryNotAllowed(f"{item.id} was sent: sending it again would repeat it (an "
                                  "event may be sent again: its receiver drops a repeat)")
        if item.status is OutboxStatus.FAILED:
            item.attempts = 0
        item.status, item.available_at = OutboxStatus.PENDING, now
        item.lease_until = now + deps.settings.outbox_lease
        await uow.outbox.record(item)
        await audit.note(deps, uow, who, "resend_event" if events_only else "retry_outbox",
                         item.id, detail=type(item.effect).__name__)
        await uow.commit()
    log.info("outbox item %s tried again at %s's request", item.id, who)
    await perform(deps, item)
    async with deps.uow() as uow:
        await uow.outbox.record(item)
        await uow.commit()
    return item


# -- figures -----------------------------------------------------------------------------------

@dataclass
class DayFigures:
    """One day (UTC), by provider and currency: what was paid, refunded, refused."""

    day: date
    payments: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    revenue: dict[tuple[str, str], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal))
    credits_sold: int = 0
    refunds: int = 0
    refunded: dict[tuple[str, str], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal))
    credits_refunded: int = 0
    failures: int = 0  # charges refused (wrong amount), returned, or for no session


_FAILED = (ChargeStatus.REJECTED, ChargeStatus.RETURNED, ChargeStatus.UNMATCHED)


async def figures(deps: Deps, days: int) -> list[DayFigures]:
    """The last `days` days, today included, oldest first: payments and revenue (by the price
    the session was sold at) on the day they were paid, refunds on the day they were made."""
    today = deps.clock.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time(), UTC)
    until = datetime.combine(today + timedelta(days=1), time(), UTC)
    async with deps.uow(read_only=True) as uow:
        settled = await uow.back_office.settled_between(since, until)
        charges = await uow.back_office.charges_between(since, until)
    table = {first + timedelta(days=i): DayFigures(first + timedelta(days=i))
             for i in range(days)}
    for s in settled:
        key = (s.provider.value, s.price.currency)
        amount = Decimal(str(s.price.amount))
        if s.paid_at is not None and since <= s.paid_at < until:
            row = table[s.paid_at.astimezone(UTC).date()]
            row.payments[key] += 1
            row.revenue[key] += amount
            row.credits_sold += s.credits
        if s.refunded_at is not None and since <= s.refunded_at < until:
            row = table[s.refunded_at.astimezone(UTC).date()]
            row.refunds += 1
            row.refunded[key] += amount
            row.credits_refunded += s.credits
    for ch in charges:
        if ch.status in _FAILED:
            table[ch.reported_at.astimezone(UTC).date()].failures += 1
    return [table[d] for d in sorted(table)]
