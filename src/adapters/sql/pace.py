"""A bot's Bot API schedule kept in the database, so that every process and instance sending
for the bot stays within one rate between them: each takes the next stretch of the schedule
with one statement, timed by the database's clock (the hosts' clocks need not agree)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from starport.adapters.sql.database import SqlDatabase

# The database's clock in seconds since the epoch: PostgreSQL's clock_timestamp(), SQLite's
# julianday('now') (fixed for the statement).
_STATEMENTS = {
    "postgresql": text(
        "INSERT INTO bot_api_pace (name, next_at) "
        "VALUES (:name, CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION) + :span) "
        "ON CONFLICT (name) DO UPDATE SET next_at = GREATEST(bot_api_pace.next_at, "
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)) + :span "
        "RETURNING next_at - :span AS begins, "
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION) AS now"),
    "sqlite": text(
        "INSERT INTO bot_api_pace (name, next_at) "
        "VALUES (:name, (julianday('now') - 2440587.5) * 86400.0 + :span) "
        "ON CONFLICT (name) DO UPDATE SET next_at = max(bot_api_pace.next_at, "
        "(julianday('now') - 2440587.5) * 86400.0) + :span "
        "RETURNING next_at - :span AS begins, (julianday('now') - 2440587.5) * 86400.0 AS now"),
}


# PostgreSQL's take, for asyncpg itself (its own prepared statement; see SqlPace.take)
_TAKE_ASYNCPG = (
    "INSERT INTO bot_api_pace (name, next_at) "
    "VALUES ($1, CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION) + $2) "
    "ON CONFLICT (name) DO UPDATE SET next_at = GREATEST(bot_api_pace.next_at, "
    "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)) + $2 "
    "RETURNING next_at - $2 AS begins, "
    "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION) AS now")


_HOLD_OFF = {
    "postgresql": text(
        "UPDATE bot_api_pace SET next_at = GREATEST(next_at, "
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION) + :seconds) "
        "WHERE name = :name"),
    "sqlite": text(
        "UPDATE bot_api_pace SET next_at = max(next_at, "
        "(julianday('now') - 2440587.5) * 86400.0 + :seconds) WHERE name = :name"),
}


class SqlPace:
    """`reserve(span)`: the next `span` seconds of the bot's schedule are this caller's; they
    begin in the returned number of seconds (0 when the schedule is free now)."""

    def __init__(self, database: SqlDatabase, name: str) -> None:
        self._db = database
        self._name = name[:64]
        self._statement = _STATEMENTS[database.dialect]

    async def reserve(self, span: float) -> float:
        begins, now = await self.take(span)
        return max(0.0, begins - now)

    async def hold_off(self, seconds: float) -> None:
        await self._one(_HOLD_OFF[self._db.dialect], {"name": self._name, "seconds": seconds})

    async def take(self, span: float) -> tuple[float, float]:
        """(when the stretch begins, now), both by the database's clock. PostgreSQL: asyncpg
        runs the statement itself, outside any transaction (one round trip, autocommit),
        without SQLAlchemy's execution machinery, which cost more CPU than the statement; every
        Bot API call of a busy process waits for a take now and then."""
        if self._db.dialect == "postgresql":
            async with self._db.connection(self._db.engine) as conn:
                raw = await conn.get_raw_connection()
                try:
                    found = await raw.driver_connection.fetchrow(  # type: ignore[union-attr]
                        _TAKE_ASYNCPG, self._name, float(span),
                        timeout=self._db.statement_timeout)
                except BaseException:  # SQLAlchemy saw none of it: the pool must not keep a
                    await conn.invalidate()  # connection that may have died with it (nor
                    raise  # `connection`: invalidated, it goes back through the pool)
            return float(found["begins"]), float(found["now"])
        row = (await self._one(self._statement, {"name": self._name, "span": span})).one()
        return float(row.begins), float(row.now)

    async def _one(self, statement: Any, values: dict[str, Any]) -> Any:
        """One statement, a transaction of its own. PostgreSQL: in autocommit (one round trip
        instead of BEGIN, the statement and COMMIT). SQLite: queued with this process's
        other writers."""
        if self._db.dialect == "postgresql":  # its isolation level changed: not kept after
            async with self._db.connection(self._db.engine, keep=False) as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                return await conn.execute(statement, values)
        async with self._db.exclusive_writes(), self._db.engine.begin() as conn:
            return await conn.execute(statement, values)
