"""A Starport server for tests: `create_app` over real loopback HTTP with the sandbox Telegram
and Crypto Pay, a fake clock both sandboxes follow, and the REST credentials."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from features.drivers import http_watch
from starport.adapters.clock import FakeClock
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import build_runtime
from starport.entrypoints.http.app import create_app
from starport.entrypoints.http.initdata import sign_init_data
from starport.entrypoints.runtime import Runtime
from starport.sandbox.serve import serve_app
from starport.sandbox.telegram import Actor, Limits, SandboxTelegram

API_TOKEN = "host-app-token-for-the-tests-0123456789"
ADMIN_TOKEN = "admin-token-for-the-tests-0123456789"
SETTLE_TIMEOUT = 10.0  # seconds: updates still in flight after that are a failure


@dataclass
class Server:
    base_url: str
    runtime: Runtime
    clock: FakeClock
    http: httpx.AsyncClient  # to the server, base_url set

    @property
    def config(self) -> StarportConfig:
        return self.runtime.config

    @property
    def telegram(self) -> SandboxTelegram:
        sandbox: SandboxTelegram = self.runtime.sandbox_telegram
        return sandbox

    @property
    def cryptopay(self) -> Any:
        return self.runtime.sandbox_cryptopay

    def actor(self) -> Actor:
        return self.telegram.actor(self.config.telegram_bot_token)

    def advance(self, delta: timedelta) -> None:
        """Time passes for Starport, Telegram and Crypto Pay alike."""
        self.clock.advance(delta)  # the Crypto Pay sandbox reads this clock too
        self.telegram.advance_time(int(delta.total_seconds()))

    async def settle(self) -> None:
        """Wait (bounded) for every update the sandboxes still have in flight."""
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await self.telegram.drain()
            await self.cryptopay.drain()

    def init_data(self, telegram_id: int, first_name: str, *, age: timedelta = timedelta(0),
                  token: str | None = None) -> str:
        """initData as Telegram gives the Mini App, signed with the bot's token."""
        fields = {"auth_date": str(int((self.clock.now() - age).timestamp())),
                  "query_id": f"AAQ{telegram_id}",
                  "user": json.dumps({"id": telegram_id, "first_name": first_name})}
        return sign_init_data(token or self.config.telegram_bot_token or "", fields)


SERVER_AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def mini_app_auth(init_data: str) -> dict[str, str]:
    return {"Authorization": f"tma {init_data}"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_config(port: int, catalog: Path, database_url: str | None, **settings: Any
                ) -> StarportConfig:
    """Sandbox mode, both providers, tokens set; no Bot API pacing unless asked for."""
    values: dict[str, Any] = {
        "starport_repository": "sql" if database_url else "memory",
        "database_url": database_url or "sqlite+aiosqlite:///:memory:",
        "starport_host": "127.0.0.1", "starport_port": port, "starport_sandbox": True,
        "telegram_bot_token": None, "starport_public_url": None,
        "payment_providers": "telegram_stars,cryptopay",
        "starport_admin_token": ADMIN_TOKEN, "starport_api_token": API_TOKEN,
        "starport_catalog": catalog, "telegram_rate_per_second": 1000.0,
        "telegram_chat_interval_seconds": 0.0, "starport_log_level": "WARNING",
    }
    return StarportConfig(_env_file=None, **(values | settings))  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def running_server(catalog: Path, database_url: str | None = None, *,
                         flood_limits: bool = False, **settings: Any) -> AsyncIterator[Server]:
    """Serve Starport on a free loopback port (the adapters reach the sandboxes through it)."""
    port = free_port()
    config = make_config(port, catalog, database_url, **settings)
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    runtime = build_runtime(config, clock=clock)
    runtime.sandbox_cryptopay.clock = clock.now
    if not flood_limits:
        runtime.sandbox_telegram.limits = Limits(enabled=False)
    http_watch.watch(runtime.sandbox_telegram)
    if config.telegram_channel_id is not None:
        runtime.sandbox_telegram.actor(config.telegram_bot_token).create_channel(
            config.telegram_channel_id, "Patrons", bot_status="administrator")
    async with serve_app(create_app(runtime), port=port) as base_url, httpx.AsyncClient(
        base_url=base_url, trust_env=False, timeout=15.0
    ) as http:
        server = Server(base_url, runtime, clock, http)
        try:
            yield server
        finally:
            with contextlib.suppress(TimeoutError):
                await server.settle()
