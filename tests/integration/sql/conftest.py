"""SQL fixtures: a migrated SQLite file per test; a PostgreSQL database per session (or skip)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from features.drivers.http_database import postgres_unavailable
from sql_bus import Race, race_of

from starport.adapters.sql import SqlDatabase, migrate, testing


def require_postgres() -> str:
    """The admin URL; skips (or, under CI, fails) when PostgreSQL does not answer."""
    admin = testing.admin_url()
    reason = testing.unreachable(admin)
    if reason is not None:
        postgres_unavailable(f"PostgreSQL not reachable on 127.0.0.1:5432 ({reason})")
    return admin


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return require_postgres()


@pytest.fixture(scope="session")
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A migrated database of its own, dropped at the end of the session."""
    url = testing.create_database(pg_admin_url, "starport_test_sql")
    try:
        migrate.upgrade(url)
        yield url
    finally:
        testing.drop_database(pg_admin_url, url)


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[SqlDatabase]:
    """A database object on the session's PostgreSQL database (the tests of PostgreSQL only)."""
    database = SqlDatabase(pg_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sql") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "starport.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def race(request: pytest.FixtureRequest) -> AsyncIterator[Race]:
    """The message bus on SQLite, then on PostgreSQL (sql_bus)."""
    async for made in race_of(request):
        yield made
