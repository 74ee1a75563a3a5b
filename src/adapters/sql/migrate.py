"""Alembic migrations run from code: `upgrade(url)` / `downgrade(url, revision)`, no alembic.ini."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from starport.adapters.sql.blocking import run_blocking
from starport.adapters.sql.engine import make_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", default_language: str | None = None) -> None:
    """Migrate the database at `url` up to `revision` (creating a SQLite file if needed).
    `default_language`: the bot messages' (STARPORT_DEFAULT_LANGUAGE), which the texts stored
    before languages existed become (0011)."""
    _run(url, lambda cfg: command.upgrade(cfg, revision), default_language)


def downgrade(url: str, revision: str, default_language: str | None = None) -> None:
    _run(url, lambda cfg: command.downgrade(cfg, revision), default_language)


def current(url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    found: list[str | None] = []

    def read(connection: Connection) -> None:
        found.append(MigrationContext.configure(connection).get_current_revision())

    run_blocking(_with_connection(url, read))
    return found[0]


def head() -> str:
    """The revision the code expects."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(config("sqlite://")).get_current_head()
    assert found is not None, "the migrations have a head"
    return found


def _run(url: str, alembic_command: Callable[[Config], None],
         default_language: str | None = None) -> None:
    def run(connection: Connection) -> None:
        cfg = config(url)
        cfg.attributes["connection"] = connection  # env.py uses it instead of connecting
        cfg.attributes["default_language"] = default_language
        alembic_command(cfg)

    run_blocking(_with_connection(url, run))


async def _with_connection(url: str, fn: Callable[[Connection], None]) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:  # one transaction: on SQLite and PostgreSQL DDL too
            await conn.run_sync(fn)
    finally:
        await engine.dispose()
