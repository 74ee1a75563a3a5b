"""`starport serve` under test, its own process (with `--workers N` when N > 1), on a migrated
SQLite file or a fresh PostgreSQL database (dropped at the end); Bot API calls go to the
stand-in. Sessions are made through the host API (`create-session`, which calls
createInvoiceLink), the books read back through it (`GET /api/users/<id>/balance`)."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx

from bench._load import Payment
from bench._metrics import DbWork, Sample, db_work, scrape
from bench._procs import wait_http
from bench._servers import Server, check_books
from bench._updates import Updates

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "postgres"}
PREPARE_CONCURRENCY = 16
T = TypeVar("T")


async def _each(items: Iterable[int], work: Callable[[int], Awaitable[T]]) -> dict[int, T]:
    """work(n) for every n, PREPARE_CONCURRENCY at a time."""
    pending, done = list(items), {}

    async def worker() -> None:
        while pending:
            n = pending.pop()
            done[n] = await work(n)

    await asyncio.gather(*(worker() for _ in range(PREPARE_CONCURRENCY)))
    return done


async def _admin(sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(**PG_ADMIN, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database(name: str) -> str:
    await _admin(f'CREATE DATABASE "{name}"')
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def drop_database(name: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Starport(Server):
    def __init__(self, *args: Any, database: str, workers: int) -> None:
        super().__init__(*args)
        self.database, self.workers = database, workers
        self.name = ("starport SQLite" if database == "sqlite"
                     else f"starport PostgreSQL ({workers} worker{'s' * (workers > 1)})")
        self.api_token = secrets.token_urlsafe(24)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.before: dict[float | None, Sample] = {}

    async def start(self) -> None:
        if self.database == "sqlite":
            url = f"sqlite+aiosqlite:///{self.tmp / 'starport.db'}"
        else:
            name = f"starport_bench_{os.getpid()}"
            await drop_database(name)  # left over by a run that was killed
            url = await create_database(name)
            self.stack.push_async_callback(drop_database, name)  # after the server stopped
        env = {**self.env,
               "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": self.token,
               "TELEGRAM_API_URL": self.standin, "STARPORT_SANDBOX": "false",
               "TELEGRAM_WEBHOOK_SECRET": self.secret, "PAYMENT_PROVIDERS": "telegram_stars",
               "STARPORT_API_TOKEN": self.api_token,
               "STARPORT_ADMIN_TOKEN": secrets.token_urlsafe(24),
               "STARPORT_MAX_SESSIONS_PER_HOUR": "0", "STARPORT_HOST": "127.0.0.1",
               "STARPORT_PORT": str(self.port),
               "STARPORT_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
               "TELEGRAM_RATE_PER_SECOND": "100000", "TELEGRAM_CHAT_INTERVAL_SECONDS": "0"}
        cli = [sys.executable, "-m", "starport.entrypoints.cli"]
        done = await asyncio.to_thread(subprocess.run, [*cli, "db", "upgrade"], env=env,
                                       capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"starport db upgrade failed:\n{done.stdout}{done.stderr}")
        workers = ["--workers", str(self.workers)] if self.workers > 1 else []
        proc = self.spawn(f"starport-{self.database}", [*cli, "serve", *workers], env)
        try:
            await wait_http(proc, f"{self.base_url}/healthz", times=3 * self.workers)
        except RuntimeError as exc:
            if workers and "unrecognized arguments" in str(exc):
                raise RuntimeError(f"{exc}\n(this starport has no `serve --workers` yet: "
                                   "run with --pg-workers 1)") from None
            raise
        # A pooled connection is dropped after 2 s idle, well before `serve` closes it (after
        # 5 s, `timeout_keep_alive`): with both at 5 s, a request sent on a connection as the
        # server closed it failed with a ReadError (seen preparing sessions, twice).
        self.http = httpx.AsyncClient(
            base_url=self.base_url, timeout=30.0, trust_env=False,
            limits=httpx.Limits(keepalive_expiry=2.0),
            headers={"Authorization": f"Bearer {self.api_token}"})
        self.stack.push_async_callback(self.http.aclose)
        self.updates = Updates(self.port, "/api/telegram/webhook", self.secret)

    async def prepare(self, first: int, count: int) -> list[Payment]:
        async def session(n: int) -> str:
            response = await self.http.post("/api/payments/create-session", json={
                "packageId": "starter", "paymentMethod": "telegram_stars",
                "userId": f"bench-{n}"})
            if response.status_code != 201 or not response.json().get("invoiceLink"):
                raise RuntimeError(f"create-session: {response.status_code} {response.text}")
            return str(response.json()["sessionId"])

        sessions = await _each(range(first, first + count), session)
        return self.updates.payments(first, [sessions[n] for n in range(first, first + count)])

    def _scrapes(self) -> int:
        return 1 if self.workers == 1 else 6 * self.workers

    async def db_before(self) -> None:
        self.before = await scrape(self.base_url, self._scrapes())

    async def db_after(self) -> DbWork:
        await asyncio.sleep(1.0)  # the last confirmations' bookkeeping, after their sendMessage
        return db_work(self.before, await scrape(self.base_url, self._scrapes()))

    async def books(self, first: int, count: int, paid: Iterable[int]) -> str:
        async def balance(n: int) -> int:
            response = await self.http.get(f"/api/users/bench-{n}/balance")
            response.raise_for_status()
            return int(response.json()["balance"])

        return check_books(await _each(range(first, first + count), balance), paid)
