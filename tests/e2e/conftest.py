"""Fixtures of the end-to-end tests: a Starport server over real loopback HTTP with the sandbox
Telegram and Crypto Pay, on SQLite (and PostgreSQL where asked); every test fails if Starport
sent the sandbox Telegram a call off the Bot API spec."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from e2e_support import PACKAGES
from features.drivers.http_catalog import write_catalog
from features.drivers.http_database import (
    PostgresUnavailable,
    empty_postgres,
    postgres_unavailable,
    sqlite_url,
    temporary_postgres,
)
from features.drivers.http_server import Server, running_server

# The Bot API spec check of every test here is tests/conftest.py's (all tests share it).


@pytest.fixture(scope="session")
def e2e_postgres_url() -> Iterator[str]:
    try:
        with temporary_postgres("starport_e2e") as url:
            yield url
    except PostgresUnavailable as exc:
        postgres_unavailable(str(exc))


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return write_catalog(PACKAGES, tmp_path / "catalog.toml")


@pytest.fixture
async def server(catalog: Path, tmp_path: Path) -> AsyncIterator[Server]:
    """Starport on SQLite, both providers enabled."""
    async with running_server(catalog, sqlite_url(tmp_path)) as started:
        yield started


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: SQLite, then PostgreSQL."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("e2e_postgres_url")
        await empty_postgres(url)
        return url
    return sqlite_url(tmp_path)


@pytest.fixture
async def any_server(catalog: Path, any_database: str) -> AsyncIterator[Server]:
    """Starport on SQLite, then on PostgreSQL."""
    async with running_server(catalog, any_database) as started:
        yield started
