"""A message bus on a real database (SQLite, or PostgreSQL emptied first) for the SQL tests
that go through use cases: the `race` fixture (conftest) builds one per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from starport.adapters.clock import FakeClock
from starport.adapters.ids import RandomIds
from starport.adapters.memory.providers import FakeStarsProvider
from starport.adapters.memory.telegram import RecordingMessenger
from starport.adapters.sql import SqlDatabase
from starport.adapters.sql.tables import metadata
from starport.application.deps import Deps, Settings
from starport.application.messagebus import MessageBus
from starport.domain.catalog import Catalog, CreditPackage
from starport.domain.money import Stars
from starport.domain.providers import Provider

STARS = Provider.TELEGRAM_STARS
PACKAGE = CreditPackage("p100", "100 credits", 100, stars=Stars(50))


@dataclass
class Race:
    db: SqlDatabase
    bus: MessageBus
    clock: FakeClock
    width: int  # how many callers at once


async def race_of(request: pytest.FixtureRequest) -> AsyncIterator[Race]:
    """A bus on `request.param` ("sqlite" or "postgres")."""
    if request.param == "sqlite":  # one writer at a time: fewer callers
        db, width = SqlDatabase(request.getfixturevalue("sqlite_url")), 10
    else:
        url = request.getfixturevalue("pg_url")
        db, width = SqlDatabase(url, pool_size=50, max_overflow=0), 50
        async with db.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
    clock = FakeClock()
    deps = Deps(uow=db, clock=clock, ids=RandomIds(), catalog=Catalog([PACKAGE]),
                providers={STARS: FakeStarsProvider()}, messenger=RecordingMessenger(),
                settings=Settings())  # no sender: outbox items wait for the job
    try:
        yield Race(db, MessageBus(deps, conflict_retries=20), clock, width)
    finally:
        await db.dispose()
