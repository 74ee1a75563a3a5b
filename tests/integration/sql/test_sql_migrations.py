"""Migrations: an empty database goes up to head, matches the tables' metadata, and back down."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from starport.adapters.sql import SqlDatabase, migrate, testing
from starport.adapters.sql.tables import metadata


async def schema_of(url: str) -> tuple[list[object], set[str]]:
    """Differences from the metadata, and the tables present."""
    def read(conn: Connection) -> tuple[list[object], set[str]]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata)), set(inspect(conn).get_table_names())

    db = SqlDatabase(url)
    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await db.dispose()


async def check_up_and_down(url: str) -> None:
    expected = {t.name for t in metadata.sorted_tables}
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == "0011_bot_message_languages"
    diffs, tables = await schema_of(url)
    assert diffs == []
    assert expected <= tables
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    _, tables = await schema_of(url)
    assert tables & expected == set()


async def test_sqlite_migrates_up_and_down_and_creates_the_directory(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'nested' / 'starport.db'}"
    await check_up_and_down(url)
    assert (tmp_path / "var" / "nested" / "starport.db").exists()


@pytest.mark.postgres
async def test_postgresql_migrates_up_and_down(pg_admin_url: str) -> None:
    url = testing.create_database(pg_admin_url, "starport_test_migrations")
    try:
        await check_up_and_down(url)
    finally:
        testing.drop_database(pg_admin_url, url)
