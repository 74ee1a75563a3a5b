"""The repository contract runs on every back end: memory, SQLite (a temp file), PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from contract_samples import Database
from features.drivers.http_database import postgres_unavailable

from starport.adapters.memory.unit_of_work import MemoryDatabase
from starport.adapters.sql import SqlDatabase, migrate, testing
from starport.adapters.sql.tables import metadata


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("contract") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def contract_pg_url() -> Iterator[str]:
    admin = testing.admin_url()
    reason = testing.unreachable(admin)
    if reason is not None:
        postgres_unavailable(f"PostgreSQL not reachable on 127.0.0.1:5432 ({reason})")
    url = testing.create_database(admin, "starport_test_contract")
    try:
        migrate.upgrade(url)
        yield url
    finally:
        testing.drop_database(admin, url)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "memory":
        yield MemoryDatabase()
        return
    if request.param == "sqlite":
        path = tmp_path / "starport.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        sql = SqlDatabase(f"sqlite+aiosqlite:///{path}")
    else:
        sql = SqlDatabase(request.getfixturevalue("contract_pg_url"))
        async with sql.engine.begin() as conn:  # DELETE: far quicker than TRUNCATE on tiny tables
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
    try:
        yield sql
    finally:
        await sql.dispose()
