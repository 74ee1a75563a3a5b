"""What a unit of work costs the client on PostgreSQL, beside the driver's own floor.

    python -m bench.units [--units 3000] [--rounds 3]

In process, one unit after another on one event loop (no concurrency: only this process's CPU
per unit is measured, `time.process_time`, the waits for PostgreSQL excluded), on a database
made for the run at the latest migration and dropped after it. Each row runs the same
statement, the short path's read of a link by user id (`SqlLinks.get`, no row found):

- asyncpg, prepared: one `fetch` on a prepared statement, a connection held throughout (the
  floor: one round trip);
- asyncpg, BEGIN + fetch + COMMIT: the same in a transaction (three round trips);
- read unit: `async with db(read_only=True)` and the read (one round trip, autocommit);
- write unit: `async with db()`, the read, `commit()` (BEGIN, the read, COMMIT);
- and both units again with every unit's connection taken from SQLAlchemy's pool and given
  back to it ("through the pool"), as before `adapters/sql/kept.py`: the same code with the
  hand-on switched off for the row.

The rows take turns, round after round; the table gives each row's median over the rounds and
its ratio to the prepared fetch of the same round. A micro-benchmark of the client's side
only: `bench.webhook` measures whole payments against a real server."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench._starport import create_database, drop_database
from starport.adapters.sql import SqlDatabase, migrate


class _ThroughThePool:
    """A stand-in for `KeptConnections` that keeps nothing: the pool's checkout and checkin
    for every unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def __len__(self) -> int:
        return 0

    async def take(self) -> AsyncConnection:
        return await self._engine.connect()

    async def give(self, conn: AsyncConnection, *, reusable: bool = True) -> None:
        await conn.close()

    async def close(self) -> None:
        return None


async def _timed(n: int, once: Callable[[], Awaitable[Any]]) -> float:
    """CPU microseconds per call, after a warm-up of a tenth as many."""
    for _ in range(max(10, n // 10)):
        await once()
    started = time.process_time()
    for _ in range(n):
        await once()
    return (time.process_time() - started) / n * 1e6


async def _run(url: str, units: int, rounds: int) -> dict[str, list[float]]:
    kept = SqlDatabase(url)
    pooled = SqlDatabase(url)
    pooled.kept = lambda engine: _ThroughThePool(engine)  # type: ignore[method-assign,assignment,return-value]
    raw = await asyncpg.connect(dsn=url.replace("postgresql+asyncpg", "postgresql"))
    statement = await raw.prepare("SELECT * FROM telegram_links WHERE telegram_user_id = $1")

    async def fetch() -> None:
        await statement.fetch(-1)

    async def fetch_in_transaction() -> None:
        async with raw.transaction():
            await statement.fetch(-1)

    def read_unit(db: SqlDatabase) -> Callable[[], Awaitable[None]]:
        async def once() -> None:
            async with db(read_only=True) as uow:
                await uow.links.get(-1)
        return once

    def write_unit(db: SqlDatabase) -> Callable[[], Awaitable[None]]:
        async def once() -> None:
            async with db() as uow:
                await uow.links.get(-1)
                await uow.commit()
        return once

    rows: dict[str, Callable[[], Awaitable[None]]] = {
        "asyncpg, prepared fetch": fetch,
        "asyncpg, BEGIN + fetch + COMMIT": fetch_in_transaction,
        "read unit": read_unit(kept),
        "read unit, through the pool": read_unit(pooled),
        "write unit": write_unit(kept),
        "write unit, through the pool": write_unit(pooled),
    }
    found: dict[str, list[float]] = {name: [] for name in rows}
    ratios: dict[str, list[float]] = {name: [] for name in rows}
    try:
        for n in range(rounds):
            this_round = {name: await _timed(units, once) for name, once in rows.items()}
            floor = this_round["asyncpg, prepared fetch"]
            for name, us in this_round.items():
                found[name].append(us)
                ratios[name].append(us / floor)
            print(f"round {n + 1}: " + ", ".join(f"{name} {us:.1f}"
                                                  for name, us in this_round.items()))
    finally:
        await raw.close()
        await kept.dispose()
        await pooled.dispose()
    print()
    print(f"{'':34} {'CPU us/unit (median)':>21} {'x prepared fetch':>17}")
    for name in rows:
        print(f"{name:34} {statistics.median(found[name]):21.1f} "
              f"{statistics.median(ratios[name]):17.2f}")
    return found


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.units", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=3000, help="calls per row per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    name = f"starport_units_{os.getpid()}"
    await drop_database(name)
    url = await create_database(name)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        await _run(url, args.units, args.rounds)
    finally:
        await drop_database(name)
    return 0


if __name__ == "__main__":
    import uvloop

    sys.exit(uvloop.run(main()))
