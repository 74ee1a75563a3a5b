"""What a payment's round trips cost on PostgreSQL: its transaction's shape, five round trips
on asyncpg (as Starport runs it) against psycopg 3 with the same five and with its pipeline
mode, which sends BEGIN with the first statement and the writes with COMMIT: three.

    python -m bench.round_trips [--transactions 3000] [--concurrency 8] [--rounds 3]

Not Starport's code: the statements stand in for its payment (lock the session with its
charge; open the user's account and read the sales account; write the entry, its postings,
the balance, the charge and the session in one statement; COMMIT), on tables of a scratch
database made for the run and dropped after it, so that only the driver and the number of
round trips differ. Each variant runs its transactions from C connections at once on one
event loop; the variants take turns, round after round. Printed per variant: transactions/s
and the CPU per transaction of this process (the client) and of the PostgreSQL backends
serving it (from /proc), their sum, and that sum over asyncpg's in the same round.

psycopg is not one of Starport's dependencies: `pip install "psycopg[binary]"` to run this.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from bench._starport import create_database, drop_database

TICK = os.sysconf("SC_CLK_TCK")

SCHEMA = """
CREATE TABLE sessions (id text PRIMARY KEY, user_id text NOT NULL, status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), paid_at timestamptz, charge_id text,
  expires_at timestamptz NOT NULL DEFAULT now() + interval '1 hour');
CREATE INDEX ON sessions (user_id, created_at);
CREATE INDEX ON sessions (status, expires_at);
CREATE INDEX ON sessions (paid_at);
CREATE UNIQUE INDEX ON sessions (charge_id);
CREATE TABLE charges (provider text, charge_id text, session_id text NOT NULL,
  paid bigint NOT NULL, PRIMARY KEY (provider, charge_id));
CREATE INDEX ON charges (session_id);
CREATE TABLE accounts (id text PRIMARY KEY, balance bigint NOT NULL, version int NOT NULL);
CREATE TABLE entries (id text PRIMARY KEY, key text UNIQUE NOT NULL, session_id text);
CREATE TABLE postings (entry_id text, position int, account_id text NOT NULL,
  amount bigint NOT NULL, PRIMARY KEY (entry_id, position));
CREATE INDEX ON postings (account_id);
INSERT INTO accounts VALUES ('sales:telegram', 0, 0);
"""

LOCK = """SELECT s.id, s.user_id, s.status, c.charge_id AS earlier FROM sessions s
LEFT JOIN charges c ON c.provider = 'telegram' AND c.charge_id = $2
WHERE s.id = $1 FOR UPDATE OF s"""
ACCOUNTS = """WITH opened AS (INSERT INTO accounts VALUES ($1, 0, 0) ON CONFLICT (id)
DO UPDATE SET version = accounts.version RETURNING id, balance, version)
SELECT id, balance, version FROM opened
UNION ALL SELECT id, balance, version FROM accounts WHERE id = 'sales:telegram'"""
WRITES = """WITH e AS (INSERT INTO entries VALUES ($1, 'payment:telegram:' || $2, $3)),
p AS (INSERT INTO postings VALUES ($1, 0, $4, $5), ($1, 1, 'sales:telegram', -$5)),
a AS (UPDATE accounts SET balance = balance + $5, version = version + 1 WHERE id = $4),
c AS (INSERT INTO charges VALUES ('telegram', $2, $3, $5))
UPDATE sessions SET status = 'paid', paid_at = now(), charge_id = $2 WHERE id = $3"""

Pay = Callable[[Any, int], Awaitable[None]]


def _args(n: int) -> tuple[str, str, str, str]:
    """(charge id, session id, user account, entry id) of payment n."""
    return f"ch{n}", f"s{n}", f"user:u{n % 500}", f"e{n}"


async def pay_asyncpg(conn: Any, n: int) -> None:
    charge, session, user, entry = _args(n)
    async with conn.transaction():  # BEGIN, three statements, COMMIT: five round trips
        row = await conn.fetchrow(LOCK, session, charge)
        assert row is not None and row["earlier"] is None
        await conn.fetch(ACCOUNTS, user)
        await conn.execute(WRITES, entry, charge, session, user, 100)


def _psycopg_sql(sql: str) -> str:
    """$N placeholders as psycopg's named %(N)s (the values given by `_named`)."""
    return re.sub(r"\$(\d+)", lambda m: f"%({m.group(1)})s", sql)


LOCK_P, ACCOUNTS_P, WRITES_P = (_psycopg_sql(s) for s in (LOCK, ACCOUNTS, WRITES))


def _named(*values: object) -> dict[str, object]:
    return {str(i): v for i, v in enumerate(values, 1)}


async def pay_psycopg(conn: Any, n: int) -> None:
    charge, session, user, entry = _args(n)
    async with conn.transaction():  # five round trips, as on asyncpg
        row = await (await conn.execute(LOCK_P, _named(session, charge))).fetchone()
        assert row is not None and row[3] is None
        await (await conn.execute(ACCOUNTS_P, _named(user))).fetchall()
        await conn.execute(WRITES_P, _named(entry, charge, session, user, 100))


async def pay_pipelined(conn: Any, n: int) -> None:
    charge, session, user, entry = _args(n)
    async with conn.pipeline():
        # BEGIN goes with the lock (one round trip), the accounts alone (one), the writes
        # with COMMIT (one): three.
        row = await (await conn.execute(LOCK_P, _named(session, charge))).fetchone()
        assert row is not None and row[3] is None
        await (await conn.execute(ACCOUNTS_P, _named(user))).fetchall()
        await conn.execute(WRITES_P, _named(entry, charge, session, user, 100))
        await conn.commit()


def _ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


async def _connect(variant: str, dsn: str, count: int) -> tuple[list[Any], list[int]]:
    conns: list[Any] = []
    pids: list[int] = []
    for _ in range(count):
        if variant == "asyncpg":
            conn = await asyncpg.connect(dsn)
            pids.append(await conn.fetchval("SELECT pg_backend_pid()"))
        else:
            import psycopg
            conn = await psycopg.AsyncConnection.connect(dsn, prepare_threshold=0)
            pids.append((await (await conn.execute("SELECT pg_backend_pid()")).fetchone())[0])
            await conn.commit()
        conns.append(conn)
    return conns, pids


async def _run(variant: str, pay: Pay, dsn: str, first: int, count: int,
               concurrency: int) -> tuple[float, float, float]:
    """(transactions/s, client CPU us per transaction, backends' CPU us per transaction)."""
    conns, pids = await _connect(variant, dsn, concurrency)
    for conn in conns:  # warm: statements prepared, caches filled
        for _ in range(3):
            await _warm(variant, conn)
    todo = iter(range(first, first + count))

    async def payer(conn: Any) -> None:
        for n in todo:
            await pay(conn, n)

    backends, cpu, wall = _ticks(pids), time.process_time(), time.perf_counter()
    await asyncio.gather(*(payer(conn) for conn in conns))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    backends = (_ticks(pids) - backends) / TICK
    for conn in conns:
        await conn.close()
    return count / wall, cpu / count * 1e6, backends / count * 1e6


async def _warm(variant: str, conn: Any) -> None:
    if variant == "asyncpg":
        await conn.fetch(ACCOUNTS, "user:warm")
    else:
        await (await conn.execute(ACCOUNTS_P, _named("user:warm"))).fetchall()
        await conn.commit()


VARIANTS: dict[str, Pay] = {"asyncpg": pay_asyncpg, "psycopg": pay_psycopg,
                            "psycopg pipeline": pay_pipelined}


async def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.round_trips", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--transactions", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        print('psycopg is not installed: pip install "psycopg[binary]"')
        return 2
    name = f"starport_round_trips_{os.getpid()}"
    dsn = (await create_database(name)).replace("postgresql+asyncpg://", "postgresql://")
    results: dict[str, list[tuple[float, float, float]]] = {v: [] for v in VARIANTS}
    try:
        total = args.transactions * args.rounds * len(VARIANTS)
        setup = await asyncpg.connect(dsn)
        await setup.execute(SCHEMA)
        await setup.copy_records_to_table(
            "sessions", records=[(f"s{n}", f"u{n % 500}", "open") for n in range(total)],
            columns=["id", "user_id", "status"])
        await setup.execute("VACUUM ANALYZE")
        await setup.close()
        first = 0
        for number in range(1, args.rounds + 1):
            for variant, pay in VARIANTS.items():
                result = await _run(variant, pay, dsn, first, args.transactions,
                                    args.concurrency)
                first += args.transactions
                results[variant].append(result)
                rate, client, server = result
                print(f"round {number} {variant:17} {rate:7.0f} tx/s  client {client:5.0f} us"
                      f"  backends {server:5.0f} us  sum {client + server:5.0f} us", flush=True)
        check = await asyncpg.connect(dsn)
        paid = await check.fetchval("SELECT count(*) FROM sessions WHERE status = 'paid'")
        await check.close()
        print(f"\nsessions paid: {paid} of {first} ({'ok' if paid == first else 'WRONG'})")
    finally:
        await drop_database(name)
    base = results["asyncpg"]
    print(f"\nmedians over {args.rounds} rounds, {args.transactions} transactions each at "
          f"{args.concurrency} connections; CPU per transaction; ratio of the sum to asyncpg's "
          f"in the same round")
    for variant, runs in results.items():
        ratio = statistics.median((r[1] + r[2]) / (b[1] + b[2])
                                  for r, b in zip(runs, base, strict=True))
        print(f"{variant:17} {statistics.median(r[0] for r in runs):7.0f} tx/s  client "
              f"{statistics.median(r[1] for r in runs):5.0f} us  backends "
              f"{statistics.median(r[2] for r in runs):5.0f} us  x asyncpg CPU {ratio:.2f}")
    return 0 if paid == first else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
