"""The payment limits' history, and the per-user guard rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select

from starport.adapters.sql.fast_path import hot
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import limit_guards, payment_attempts

_c = payment_attempts.c
_RECORD = hot(payment_attempts.insert())
# Built once (see gateway): the cooldown check runs on every pre-checkout.
_TIMES = hot(select(_c.at).where(_c.user_key == bindparam("b_user"), _c.kind == bindparam("b_kind"),
                              _c.at > bindparam("b_since")).order_by(_c.at, _c.id))


class SqlLimits:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def hold(self, user_key: str, now: datetime) -> None:
        # One statement that inserts or updates the user's guard row: either way the row stays
        # locked until this transaction ends, so a second checker (any instance) waits here and
        # then counts what the first committed (READ COMMITTED: a fresh snapshot per statement).
        # On SQLite every writer holds the database lock from BEGIN IMMEDIATE anyway.
        statement = self._gw.insert(limit_guards).values(user_key=user_key, touched_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["user_key"], set_={"touched_at": statement.excluded.touched_at})
        await self._gw.execute(statement)

    async def times(self, user_key: str, kind: str, since: datetime) -> Sequence[datetime]:
        rows = await self._gw.execute(_TIMES, {"b_user": user_key, "b_kind": kind,
                                               "b_since": since})
        return [r[0] for r in rows]

    async def record(self, user_key: str, kind: str, at: datetime) -> None:
        await self._gw.execute(_RECORD, {"user_key": user_key, "kind": kind, "at": at})

    async def prune(self, before: datetime) -> int:
        done = await self._gw.execute(delete(payment_attempts)
                                      .where(payment_attempts.c.at < before))
        await self._gw.execute(delete(limit_guards).where(limit_guards.c.touched_at < before))
        return int(done.rowcount or 0)
