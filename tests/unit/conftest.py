"""Shared fixtures of the domain and use-case tests: a small world on the in-memory adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from starport.adapters.clock import FakeClock
from starport.adapters.ids import SequentialIds
from starport.adapters.memory.providers import FakeCryptoPayProvider, FakeStarsProvider
from starport.adapters.memory.telegram import FakeChannel, RecordingMessenger
from starport.adapters.memory.unit_of_work import MemoryDatabase, MemoryUnitOfWork
from starport.application import commands as c
from starport.application import credits
from starport.application.deliveries import Delivery
from starport.application.deps import Deps, Settings
from starport.application.effects import OutboxItem
from starport.application.messagebus import MessageBus
from starport.application.outbox import Sender
from starport.application.ports import PaymentProvider
from starport.application.unit_of_work import Conflict
from starport.application.views import SessionView
from starport.domain.catalog import Catalog, CreditPackage
from starport.domain.money import CryptoAmount, FiatAmount, Stars
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CHANNEL_ID = -100123
JOIN_BONUS = 10


def small_catalog() -> Catalog:
    return Catalog([
        CreditPackage("starter", "Starter", 100, Stars(50), CryptoAmount(Decimal("1.5"), "TON")),
        CreditPackage("pro", "Pro", 500, Stars(200), FiatAmount(Decimal("9.99"), "USD")),
        CreditPackage("stars_only", "Stars only", 20, Stars(10)),
        CreditPackage("crypto_only", "Crypto only", 30, crypto=CryptoAmount(Decimal("2"), "USDT")),
        CreditPackage("retired", "Retired", 5, Stars(5), active=False),
        CreditPackage("monthly", "Monthly", 300, Stars(250), subscription=True),
    ])


@dataclass
class World:
    """Everything a use case touches, plus shortcuts to arrange and observe it."""

    deps: Deps
    bus: MessageBus
    clock: FakeClock
    db: MemoryDatabase
    stars: FakeStarsProvider
    crypto: FakeCryptoPayProvider
    messenger: RecordingMessenger
    channel: FakeChannel
    sender: Sender | None = None
    charges: list[str] = field(default_factory=list)

    async def handle(self, command: c.Command) -> Any:
        return await self.bus.handle(command)

    async def open_stars_session(self, user_id: str = "u1", package_id: str = "starter",
                                 telegram_user_id: int = 777) -> SessionView:
        """A Stars session the user has opened in the bot (invoice sent)."""
        view = await self.handle(c.CreateSession(user_id, package_id, Provider.TELEGRAM_STARS))
        await self.handle(c.StartDeepLink(view.id, telegram_user_id, telegram_user_id, "Ann"))
        return view

    async def buy(self, user_id: str = "u1", package_id: str = "starter",
                  telegram_user_id: int = 777, charge_id: str | None = None) -> SessionView:
        """A Stars purchase, paid and credited."""
        view = await self.open_stars_session(user_id, package_id, telegram_user_id)
        charge_id = charge_id or f"charge-{view.id}"
        self.charges.append(charge_id)
        outcome = await self.handle(c.CompletePayment(
            Provider.TELEGRAM_STARS, view.id, charge_id, Stars(int(view.amount)),
            telegram_user_id, telegram_user_id))
        assert outcome.credited
        return view

    async def balance(self, user_id: str = "u1") -> int:
        return (await credits.get_balance(self.deps, user_id)).balance

    async def session(self, session_id: str) -> PaymentSession:
        async with self.deps.uow() as uow:
            session = await uow.sessions.get(session_id)
        assert session is not None
        return session

    def sessions(self) -> list[PaymentSession]:
        return list(self.db.store.sessions.rows.values())

    def outbox(self) -> list[OutboxItem]:
        return sorted(self.db.store.outbox.rows.values(), key=lambda i: i.id)

    def texts_to(self, chat_id: int) -> list[str]:
        return self.messenger.texts_to(chat_id)

    def delivery(self, update_id: str, source: str = "telegram", **ids: str) -> Delivery:
        """A delivery as the edge would make it, received now (`ids`: charge_id, invoice_id,
        session_id)."""
        return Delivery(id=f"d-{source}-{update_id}", source=source, update_id=update_id,
                        received_at=self.clock.now(), body=b"{}", **ids)

    def deliveries(self) -> list[Delivery]:
        """The stored deliveries, oldest first."""
        stored = [d for d in self.db.store.deliveries.rows.values() if d is not None]
        return sorted(stored, key=lambda d: (d.received_at, d.id))


MakeWorld = Callable[..., World]


class ConflictingDatabase(MemoryDatabase):
    """The in-memory back end, where the next `conflicts` commits lose a race."""

    def __init__(self) -> None:
        super().__init__()
        self.conflicts = 0
        self.commits_refused = 0

    def __call__(self, read_only: bool = False, *, bookkeeping: bool = False
                 ) -> MemoryUnitOfWork:
        return _ConflictingUnitOfWork(self, read_only)


class _ConflictingUnitOfWork(MemoryUnitOfWork):
    def __init__(self, db: ConflictingDatabase, read_only: bool = False) -> None:
        super().__init__(db.store, db._lock, read_only, db.sender)
        self._db = db

    async def _commit(self) -> None:
        if self._db.conflicts > 0:
            self._db.conflicts -= 1
            self._db.commits_refused += 1
            raise Conflict("serialization failure")
        await super()._commit()


def build_world(*, providers: dict[Provider, PaymentProvider] | None = None,
                channel: bool = True, db: MemoryDatabase | None = None,
                conflict_retries: int = 8, dispatch_inline: bool = True,
                dispatch_in_background: bool = False, **settings: Any) -> World:
    """Outbox items go out right after their commit, before the command returns (inline); or
    in the background; or, without `dispatch_inline`, only through the dispatch job."""
    clock = FakeClock(START)
    stars, crypto = FakeStarsProvider(), FakeCryptoPayProvider()
    messenger, fake_channel = RecordingMessenger(), FakeChannel()
    base = Settings(channel_id=CHANNEL_ID if channel else None, join_bonus_credits=JOIN_BONUS)
    database = db or MemoryDatabase()
    deps = Deps(
        uow=database, clock=clock, ids=SequentialIds(), catalog=small_catalog(),
        providers=providers if providers is not None else {
            Provider.TELEGRAM_STARS: stars, Provider.CRYPTOPAY: crypto},
        messenger=messenger, channel=fake_channel if channel else None,
        settings=replace(base, **settings),
    )
    sender = Sender(deps, deps.settings.outbox_lease) if dispatch_inline else None
    database.sender = sender
    settle = sender.drain if sender is not None and not dispatch_in_background else None
    bus = MessageBus(deps, conflict_retries=conflict_retries, settle=settle)
    return World(deps, bus, clock, database, stars, crypto, messenger, fake_channel, sender)


@pytest.fixture
def make_world() -> MakeWorld:
    """The builder itself (stateless), for tests that need a fresh or tuned world."""
    return build_world


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def conflicting_db() -> ConflictingDatabase:
    """A store whose next commits can be made to conflict (`conflicts`); for make_world(db=)."""
    return ConflictingDatabase()

