"""A live Starport for the integration tests of limits, the raw inbox, alerts and polling:
`create_app` on a free loopback port, the sandbox Telegram and Crypto Pay mounted in it, a fake
clock, and SQLite or PostgreSQL underneath (a fresh schema per test)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from features.drivers.http_database import postgres_unavailable

from starport.adapters.clock import FakeClock
from starport.adapters.sql import SqlDatabase, migrate, testing
from starport.adapters.sql.tables import metadata
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import build_runtime
from starport.entrypoints.http.app import create_app
from starport.entrypoints.observability import Metrics
from starport.entrypoints.runtime import Runtime
from starport.sandbox.serve import serve_app
from starport.sandbox.telegram import Actor, Limits

API_TOKEN = "host-app-token-for-live-tests-0123456789"
ADMIN_TOKEN = "admin-token-for-live-tests-0123456789"
SERVER = {"Authorization": f"Bearer {API_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class Live:
    runtime: Runtime
    http: httpx.AsyncClient  # to this server
    clock: FakeClock
    metrics: Metrics

    @property
    def actor(self) -> Actor:
        return self.runtime.sandbox_telegram.actor(self.runtime.config.telegram_bot_token)

    @property
    def cryptopay(self) -> Any:
        return self.runtime.sandbox_cryptopay

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.runtime.sandbox_telegram.advance_time(int(delta.total_seconds()))

    async def settle(self) -> None:
        await self.runtime.sandbox_telegram.drain()
        await self.cryptopay.drain()

    async def create_session(self, user_id: str, method: str = "telegram",
                             package: str = "starter") -> httpx.Response:
        return await self.http.post("/api/payments/create-session", headers=SERVER, json={
            "packageId": package, "paymentMethod": method, "userId": user_id})

    async def webhooks(self, **query: str) -> list[dict[str, Any]]:
        response = await self.http.get("/api/admin/webhooks", headers=ADMIN, params=query)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    async def run_job(self, name: str) -> dict[str, Any]:
        response = await self.http.post(f"/api/admin/jobs/{name}/run", headers=ADMIN)
        assert response.status_code == 200, response.text
        counts: dict[str, Any] = response.json()
        return counts

    def texts_to(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.actor.messages(chat_id) if "text" in m]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def live_starport(database_url: str, clock: FakeClock | None = None,
                        **settings: Any) -> AsyncIterator[Live]:
    port = free_port()
    values: dict[str, Any] = {
        "starport_repository": "sql", "database_url": database_url,
        "starport_host": "127.0.0.1", "starport_port": port, "starport_sandbox": True,
        "telegram_bot_token": None, "starport_public_url": None,
        "payment_providers": "telegram_stars,cryptopay",
        "starport_admin_token": ADMIN_TOKEN, "starport_api_token": API_TOKEN,
        "telegram_rate_per_second": 1000.0, "telegram_chat_interval_seconds": 0.0,
        "starport_log_level": "WARNING",
    }
    config = StarportConfig(_env_file=None, **(values | settings))  # type: ignore[call-arg]
    clock = clock or FakeClock(datetime.now(UTC).replace(microsecond=0))
    runtime = build_runtime(config, clock=clock)
    runtime.sandbox_cryptopay.clock = clock.now
    runtime.sandbox_telegram.limits = Limits(enabled=False)
    metrics = Metrics()
    async with serve_app(create_app(runtime, metrics), port=port) as base_url, \
            httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=15.0) as http:
        live = Live(runtime, http, clock, metrics)
        try:
            yield live
        finally:
            with contextlib.suppress(TimeoutError):
                await live.settle()


def _unavailable(why: str) -> None:
    postgres_unavailable(why)


@pytest.fixture(scope="session")
def live_pg_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the session (emptied by `database_url`)."""
    admin = testing.admin_url()
    reason = testing.unreachable(admin)
    if reason is not None:
        _unavailable(f"PostgreSQL not reachable at {admin} ({reason})")
    url = testing.create_database(admin, "starport_test_live")
    try:
        migrate.upgrade(url)
        yield url
    finally:
        testing.drop_database(admin, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a SQLite file of the test's own, or the PostgreSQL one."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'starport.db'}"
        migrate.upgrade(url)
        return url
    url = str(request.getfixturevalue("live_pg_url"))
    db = SqlDatabase(url)
    try:
        async with db.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
    finally:
        await db.dispose()
    return url
