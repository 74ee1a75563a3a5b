"""What the entrypoints run on: the bus, the use cases' dependencies, and the live adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starport.application.deps import Deps
from starport.application.job_lock import JobLock
from starport.application.messagebus import MessageBus
from starport.application.outbox import Sender
from starport.entrypoints.config import StarportConfig


@dataclass
class Runtime:
    config: StarportConfig
    deps: Deps
    bus: MessageBus
    ping: Callable[[], Awaitable[None]]  # raises when the database cannot be reached
    unready: Callable[[], Awaitable[str | None]] | None = None  # why it cannot serve, if so
    sender: Sender | None = None  # delivers outbox items right after their commit
    database: Any = None  # the unit of work factory (SQL: its statement counts)
    job_lock: JobLock | None = None  # one instance at a time runs a job (None: no exclusion)
    telegram: Any = None  # adapters.telegram BotApiClient, for the CLI and health checks
    cryptopay: Any = None  # adapters.cryptopay CryptoPayClient
    sandbox_telegram: Any = None  # sandbox objects when STARPORT_SANDBOX is on
    sandbox_cryptopay: Any = None
    starters: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    stoppers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def start(self) -> None:
        """Called once the server is up (the HTTP app's lifespan calls it)."""
        for start in self.starters:
            await start()

    async def aclose(self) -> None:
        for stop in self.stoppers:  # work that uses the clients (the scheduler) ends first
            await stop()
        self.stoppers.clear()
        if self.sender is not None:  # what was committed goes out before the clients close
            await self.sender.drain()
        for close in reversed(self.closers):
            await close()
        self.closers.clear()
