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
        async with db.connection(db.engine) as conn:
            return await conn.run_sync(read)
    finally:
        await db.dispose()


async def check_up_and_down(url: str) -> None:
    expected = {t.name for t in metadata.sorted_tables}
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == "0013_ledger_account_slots"
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


async def check_languages_migration(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """0011: the texts and changes stored before are the default language's; going back keeps
    that language's texts only."""
    from sqlalchemy import text

    migrate.upgrade(url, "0008_telegram_links")
    db = SqlDatabase(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO bot_messages (key, template) "
                                    "VALUES ('buy_menu', 'Выберите:')"))
            await conn.execute(text(
                "INSERT INTO bot_message_changes (key, previous, current, changed_by, "
                "changed_at) VALUES ('buy_menu', 'a', 'Выберите:', 'ann', CURRENT_TIMESTAMP)"))
        monkeypatch.setenv("STARPORT_DEFAULT_LANGUAGE", "de")  # the configuration's wins
        migrate.upgrade(url, default_language="RU")
        async with db.engine.begin() as conn:
            texts = (await conn.execute(text("SELECT key, language FROM bot_messages"))).all()
            changes = (await conn.execute(text("SELECT language FROM bot_message_changes"))
                       ).all()
            await conn.execute(text("INSERT INTO bot_messages (key, language, template) "
                                    "VALUES ('buy_menu', 'en', 'Pick:')"))
        assert [tuple(r) for r in texts] == [("buy_menu", "ru")]
        assert [tuple(r) for r in changes] == [("ru",)]
        migrate.downgrade(url, "0008_telegram_links", default_language="ru")
        async with db.connection(db.engine) as conn:
            kept = (await conn.execute(text("SELECT key, template FROM bot_messages"))).all()
        assert [tuple(r) for r in kept] == [("buy_menu", "Выберите:")]
    finally:
        await db.dispose()


async def test_sqlite_texts_become_the_default_languages(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    await check_languages_migration(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", monkeypatch)


@pytest.mark.postgres
async def test_postgresql_texts_become_the_default_languages(
        pg_admin_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = testing.create_database(pg_admin_url, "starport_test_languages")
    try:
        await check_languages_migration(url, monkeypatch)
    finally:
        testing.drop_database(pg_admin_url, url)
