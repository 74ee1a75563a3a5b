"""Payment sessions: `get` locks the row (FOR UPDATE) until the unit of work ends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, cast, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg

from starport.adapters.sql import mappers as m
from starport.adapters.sql.fast_path import hot
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.repositories.charges import SqlCharges
from starport.adapters.sql.repositories.limits import SqlLimits
from starport.adapters.sql.tables import charges as ch
from starport.adapters.sql.tables import payment_attempts as attempts
from starport.adapters.sql.tables import sessions as t
from starport.domain.charges import Charge
from starport.domain.limits import FAILURE, checkout_blames
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession, SessionStatus

_OPEN = (SessionStatus.PENDING.value, SessionStatus.INVOICED.value)
# Built once (see gateway): the statements every payment runs.
_GET_UNLOCKED = hot(select(t).where(t.c.id == bindparam("b_id")))
_GET = hot(_GET_UNLOCKED.with_for_update())
_UPDATE = hot(update(t).where(t.c.id == bindparam("b_id")))
_INSERT = hot(t.insert())

# PostgreSQL: a payment's session locked with the charge of that id beside it, in one round
# trip. The statement reads the charge as of its snapshot, taken before any wait for the lock,
# while the locked row is the session's newest: `unchanged` says whether the session is still
# the row the snapshot saw (its xmin, the transaction that wrote it, compared). If not, a holder
# of the lock changed it meanwhile, and may have stored the charge: it is read again.
_SEEN = t.alias("seen")
_CHARGE_COLUMNS = tuple(c.name for c in ch.c)
_WITH_CHARGE = hot(
    select(t, *(c.label(f"charge_{c.name}") for c in ch.c),
           (literal_column(f"{t.name}.xmin") == select(literal_column("seen.xmin"))
            .select_from(_SEEN).where(_SEEN.c.id == bindparam("b_id")).scalar_subquery()
            ).label("unchanged"))
    .select_from(t.outerjoin(ch, and_(ch.c.provider == bindparam("b_provider"),
                                      ch.c.charge_id == bindparam("b_charge_id"))))
    .where(t.c.id == bindparam("b_id")).with_for_update(of=t))


def _failures_of(user_key: Any) -> Any:
    a = attempts.c
    return (select(array_agg(aggregate_order_by(a.at, a.at, a.id)))
            .where(a.user_key == user_key, a.kind == FAILURE, a.at > bindparam("b_since"))
            .scalar_subquery())


# PostgreSQL: a pre-checkout's reads in one round trip: the session (if any: the one row the
# statement always gives has NULLs otherwise) with the failures of both users a refusal could
# count against, its owner's and the payer's Telegram account's (`checkout_blames` picks).
_ONE = select(literal_column("1").label("one")).subquery("one")
_FOR_CHECKOUT = hot(
    select(t, _failures_of(t.c.user_id).label("owner_failures"),
           _failures_of(bindparam("b_payer")).label("payer_failures"))
    .select_from(_ONE.outerjoin(t, t.c.id == bindparam("b_id"))))


class SqlSessions:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw
        # Read FOR UPDATE in this transaction, by id: the row's values as the database holds
        # them (as read, then as last written), so that `save` sets only what changed.
        self._locked: dict[str, Mapping[str, Any]] = {}

    async def add(self, session: PaymentSession) -> None:
        await self._gw.execute(_INSERT, m.session_values(session))
        self._gw.keep("session", session.id, session)

    async def get(self, session_id: str) -> PaymentSession | None:
        if self._gw.read_only:
            found = await self._load(_GET_UNLOCKED, {"b_id": session_id})
            return found[0] if found else None
        row = (await self._gw.execute(_GET, {"b_id": session_id})).mappings().first()
        return self._adopt_locked(row) if row is not None else None

    async def with_charge(self, session_id: str, provider: Provider, charge_id: str
                          ) -> tuple[PaymentSession | None, Charge | None]:
        """The session locked, and the charge of that id if stored. PostgreSQL: one statement
        (`_WITH_CHARGE`), and the charge read again when the session changed while the
        statement waited for its lock. A holder of the lock that stored the charge without
        changing the session (an extra charge returned, a refund noted) may still be missed:
        the charge's key makes the caller's insert of it a `Conflict`, and the retry sees it.
        Elsewhere two statements, the charge read after the lock."""
        if self._gw.dialect != "postgresql" or self._gw.read_only:
            session = await self.get(session_id)
            return session, await SqlCharges(self._gw).get(provider, charge_id)
        row = (await self._gw.execute(_WITH_CHARGE, {
            "b_id": session_id, "b_provider": provider.value, "b_charge_id": charge_id,
        })).mappings().first()
        if row is None or not row["unchanged"]:
            session = self._adopt_locked(row) if row is not None else None
            return session, await SqlCharges(self._gw).get(provider, charge_id)
        charge = (m.charge_from({c: row[f"charge_{c}"] for c in _CHARGE_COLUMNS})
                  if row["charge_provider"] is not None else None)
        return self._adopt_locked(row), charge

    def _adopt_locked(self, row: Any) -> PaymentSession:
        self._locked[row["id"]] = row
        session: PaymentSession = self._gw.adopt("session", row["id"], m.session_from(row))
        return session

    async def for_checkout(self, session_id: str, payer_telegram_id: int,
                           failures_since: datetime | None
                           ) -> tuple[PaymentSession | None, str, Sequence[datetime]]:
        """PostgreSQL, limits on: one statement (`_FOR_CHECKOUT`). Otherwise the session, then
        (limits on) the failures of the user it blames: SQLite runs in this process, where a
        second statement costs no round trip."""
        if failures_since is None or self._gw.dialect != "postgresql":
            found = await self._load(_GET_UNLOCKED, {"b_id": session_id})
            session = found[0] if found else None
            blamed = checkout_blames(session, payer_telegram_id)
            if failures_since is None:
                return session, blamed, ()
            return session, blamed, await SqlLimits(self._gw).times(blamed, FAILURE,
                                                                     failures_since)
        payer = checkout_blames(None, payer_telegram_id)
        row = (await self._gw.execute(_FOR_CHECKOUT, {
            "b_id": session_id, "b_payer": payer, "b_since": failures_since})).mappings().first()
        assert row is not None  # the statement's one row
        session = (self._gw.adopt("session", row["id"], m.session_from(row))
                   if row["id"] is not None else None)
        blamed = checkout_blames(session, payer_telegram_id)
        failures = row["payer_failures"] if blamed == payer else row["owner_failures"]
        return session, blamed, failures or ()

    async def by_invoice(self, provider: Provider, invoice_id: str) -> PaymentSession | None:
        found = await self._load(
            select(t).where(t.c.provider == provider.value, t.c.invoice_id == invoice_id)
            .order_by(t.c.created_at, t.c.id).limit(1))
        return found[0] if found else None

    async def save(self, session: PaymentSession) -> None:
        values = m.session_values(session)
        stored = self._locked.get(session.id)
        if stored is not None:
            # Only the columns that changed: SQLite rewrites the entry of every index on a
            # column the UPDATE sets, changed or not (eight on this table), and PostgreSQL
            # can keep the row's index entries (a HOT update) when no indexed column is set.
            changes = {k: v for k, v in values.items() if k != "id" and stored[k] != v}
            if changes:
                await self._gw.write(_UPDATE, {**changes, "b_id": session.id})
            self._locked[session.id] = values
            self._gw.keep("session", session.id, session)
            return
        changes = {k: v for k, v in values.items() if k != "id"}
        result = await self._gw.execute(_UPDATE, {**changes, "b_id": session.id})
        if result.rowcount == 0:
            await self._gw.execute(_INSERT, values)
        self._gw.keep("session", session.id, session)

    async def expired_open(self, now: datetime, limit: int) -> Sequence[PaymentSession]:
        # Loaded for change, so locked; a session being paid right now is skipped (and a row
        # paid meanwhile is re-checked by PostgreSQL and left out): expiry never overwrites it.
        query = (select(t).where(t.c.status.in_(_OPEN), t.c.expires_at <= now)
                 .order_by(t.c.expires_at, t.c.id).limit(limit))
        if not self._gw.read_only:
            query = query.with_for_update(skip_locked=True)
        return await self._load(query)

    async def open_for(self, provider: Provider, limit: int, after_id: str | None
                       ) -> Sequence[PaymentSession]:
        query = select(t).where(t.c.provider == provider.value, t.c.status.in_(_OPEN),
                                t.c.invoice_id.is_not(None))
        if after_id is not None:
            query = query.where(t.c.id > after_id)
        return await self._load(query.order_by(t.c.id).limit(limit))

    async def last_invoice_number(self, provider: Provider) -> int | None:
        # Numeric ids only (Crypto Pay's); compared as numbers, not as text.
        found = await self._gw.execute(
            select(func.max(cast(t.c.invoice_id, BigInteger)))
            .where(t.c.provider == provider.value, t.c.invoice_id.is_not(None),
                   t.c.invoice_id.regexp_match("^[0-9]{1,18}$")))
        value = found.scalar()
        return int(value) if value is not None else None

    async def recent_of(self, telegram_user_id: int, user_id: str, limit: int
                        ) -> Sequence[PaymentSession]:
        # Two indexed reads, merged: an OR over two columns would scan the table.
        found: dict[str, PaymentSession] = {}
        for column, value in ((t.c.telegram_user_id, telegram_user_id), (t.c.user_id, user_id)):
            rows = (await self._gw.execute(select(t).where(column == value).order_by(
                t.c.created_at.desc(), t.c.id.desc()).limit(limit))).mappings().all()
            found.update((r["id"], m.session_from(r)) for r in rows)
        return sorted(found.values(), key=lambda s: (s.created_at, s.id), reverse=True)[:limit]

    async def _load(self, query: Any, params: dict[str, Any] | None = None
                    ) -> list[PaymentSession]:
        rows = (await self._gw.execute(query, params)).mappings().all()
        return [self._gw.adopt("session", r["id"], m.session_from(r)) for r in rows]
