"""Throw-away PostgreSQL databases for tests and benchmarks (created and dropped by name).
Plain functions, callable from sync fixtures and from code that runs an event loop."""

from __future__ import annotations

import asyncio
import os
import secrets

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from starport.adapters.sql.blocking import run_blocking

DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("STARPORT_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL


def unreachable(url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    return run_blocking(_reachable(url))


def create_database(admin: str, prefix: str = "starport_test") -> str:
    """Create `<prefix>_<random>` and return its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    run_blocking(_autocommit(admin, f'CREATE DATABASE "{name}"'))
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_database(admin: str, url: str) -> None:
    name = make_url(url).database
    run_blocking(_autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _reachable(url: str, timeout: float = 3.0) -> str | None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


async def _autocommit(admin: str, statement: str) -> None:
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()
