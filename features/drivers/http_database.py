"""Where a server under test keeps its data: a SQLite file copied from one migrated template,
a PostgreSQL database emptied before each scenario, or memory when `adapters.sql` is absent."""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

SQL_AVAILABLE = importlib.util.find_spec("starport.adapters.sql") is not None and (
    importlib.util.find_spec("starport.adapters.sql.migrate") is not None
)
KEEP = "alembic_version"


@functools.cache
def _sqlite_template() -> Path:
    """Migrated once per process; every server gets a copy (a copy is far faster)."""
    from starport.adapters.sql import migrate

    folder = Path(tempfile.mkdtemp(prefix="starport-sqlite-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def sqlite_url(folder: Path) -> str:
    """A migrated SQLite database of its own in `folder`."""
    path = folder / "starport.db"
    shutil.copy(_sqlite_template(), path)
    return f"sqlite+aiosqlite:///{path}"


async def empty_postgres(url: str) -> None:
    """Every table emptied (the schema and its migration stamp kept): a scenario of its own."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            rows = await conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> :keep"), {"keep": KEEP})
            tables = ", ".join(f'"{name}"' for name in rows.scalars())
            if tables:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


class PostgresUnavailable(Exception):
    """No PostgreSQL to test on (unreachable, or `adapters.sql` missing): the reason."""


@contextlib.contextmanager
def temporary_postgres(prefix: str) -> Iterator[str]:
    """A migrated database `<prefix>_<random>` for a test session, dropped on leaving."""
    if not SQL_AVAILABLE:
        raise PostgresUnavailable("starport.adapters.sql is not available yet")
    from starport.adapters.sql import migrate, testing

    admin = testing.admin_url()
    reason = testing.unreachable(admin)
    if reason is not None:
        raise PostgresUnavailable(f"PostgreSQL not reachable at {admin} ({reason})")
    url = testing.create_database(admin, prefix)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        testing.drop_database(admin, url)


def postgres_unavailable(why: str) -> NoReturn:
    """PostgreSQL tests skip without it, saying why; under CI (`CI` set) they fail instead."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI is set: PostgreSQL must be reachable)")
    pytest.skip(why)
