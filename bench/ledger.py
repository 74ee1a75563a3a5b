"""Ledger throughput on SQLite and PostgreSQL: purchases (through `complete_payment`) and spends
per second at a fixed concurrency, next to a bare one-row INSERT per transaction on the same
engine in the same run. Run: `python -m bench.ledger`."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench._util import rate, table
from starport.adapters.clock import FakeClock
from starport.adapters.ids import RandomIds
from starport.adapters.memory.providers import FakeStarsProvider
from starport.adapters.memory.telegram import RecordingMessenger
from starport.adapters.sql import SqlDatabase, migrate, testing
from starport.application import commands as c
from starport.application.deps import Deps, Settings
from starport.application.messagebus import MessageBus
from starport.domain.catalog import Catalog, CreditPackage
from starport.domain.money import Stars
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession

OPERATIONS = 600  # of each kind, per engine and strategy
CONCURRENCY = 8
USERS = 64  # purchases and spends spread over this many users; all share the sales account
STARS = Provider.TELEGRAM_STARS
PACKAGE = CreditPackage("p100", "100 credits", 100, stars=Stars(50))


async def bare_insert(url: str) -> float:
    """The floor: one tiny row per transaction, same engine set-up, same concurrency."""
    db = SqlDatabase(url, pool_size=CONCURRENCY, max_overflow=0)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, v TEXT)"))

        async def insert(n: int) -> None:
            async with db.exclusive_writes(), db.engine.begin() as conn:
                await conn.execute(text("INSERT INTO bench_rows VALUES (:n, 'x')"), {"n": n})

        return await rate(OPERATIONS, CONCURRENCY, insert)
    finally:
        await db.dispose()


async def ledger_rates(url: str, lock_system_accounts: bool) -> tuple[float, float]:
    db = SqlDatabase(url, pool_size=CONCURRENCY, max_overflow=0,
                     lock_system_accounts=lock_system_accounts)
    clock = FakeClock()
    deps = Deps(uow=db, clock=clock, ids=RandomIds(), catalog=Catalog([PACKAGE]),
                providers={STARS: FakeStarsProvider()}, messenger=RecordingMessenger(),
                settings=Settings())  # no sender: the outbox waits for the job
    bus = MessageBus(deps, conflict_retries=50)
    try:
        async with db() as uow:  # sessions to pay, not timed
            for n in range(OPERATIONS):
                await uow.sessions.add(PaymentSession.open(
                    session_id=f"s{n}", user_id=f"u{n % USERS}", package=PACKAGE, provider=STARS,
                    now=clock.now(), expires_at=clock.now() + Settings().session_ttl))
            await uow.commit()
        purchases = await rate(OPERATIONS, CONCURRENCY, lambda n: bus.handle(c.CompletePayment(
            provider=STARS, session_id=f"s{n}", charge_id=f"ch{n}", paid=Stars(50), chat_id=n)))
        spends = await rate(OPERATIONS, CONCURRENCY, lambda n: bus.handle(
            c.SpendCredits(f"u{n % USERS}", 1, f"k{n}")))
        async with db() as uow:  # the figures only count if the books are right
            assert await uow.ledger.total() == 0
            assert await uow.ledger.balance("usage") == OPERATIONS
            assert await uow.ledger.balance("sales:telegram_stars") == -100 * OPERATIONS
        return purchases, spends
    finally:
        await db.dispose()


async def measure(engine: str, fresh_url: object, strategies: list[bool]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    baseline = await bare_insert(fresh_url())  # type: ignore[operator]
    rows.append((engine, "bare INSERT, 1 row/tx", f"{baseline:8.0f}", "1.00"))
    for lock_all in strategies:
        strategy = "all accounts locked" if lock_all else "user rows locked, system deltas"
        purchases, spends = await ledger_rates(fresh_url(), lock_all)  # type: ignore[operator]
        for name, value in (("purchases", purchases), ("spends", spends)):
            rows.append((engine, f"{name} ({strategy})", f"{value:8.0f}",
                         f"{value / baseline:.2f}"))
    return rows


async def main() -> int:
    started = time.perf_counter()
    rows: list[tuple[str, ...]] = [("engine", "operation", "ops/s", "ratio to bare INSERT")]
    with tempfile.TemporaryDirectory() as tmp:
        files = iter(range(100))

        def sqlite_url() -> str:
            url = f"sqlite+aiosqlite:///{Path(tmp) / f'bench{next(files)}.db'}"
            migrate.upgrade(url)
            return url

        rows += await measure("sqlite", sqlite_url, [False])
    admin = testing.admin_url()
    reason = testing.unreachable(admin)
    if reason is not None:
        print(f"PostgreSQL skipped: not reachable on 127.0.0.1:5432 ({reason})")
    else:
        made: list[str] = []

        def pg_url() -> str:
            made.append(testing.create_database(admin, "starport_bench"))
            migrate.upgrade(made[-1])
            return made[-1]

        try:
            rows += await measure("postgresql", pg_url, [False, True])
        finally:
            for url in made:
                testing.drop_database(admin, url)
    print(f"{OPERATIONS} operations of each kind, concurrency {CONCURRENCY}, {USERS} users\n")
    print(table(rows))
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
