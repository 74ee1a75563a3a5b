"""Engines from a URL: SQLite in WAL mode with BEGIN IMMEDIATE, PostgreSQL READ COMMITTED."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_URL = "sqlite+aiosqlite:///./var/starport.db"
SQLITE_BUSY_MS = 20
BUSY_TIMEOUT_MS = 5000
READ_ONLY = "starport_read_only"  # execution option: a plain BEGIN instead of BEGIN IMMEDIATE


def url_from_env() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str | URL, *, pool_size: int | None = None,
                max_overflow: int | None = None, echo: bool = False,
                busy_timeout_ms: int = BUSY_TIMEOUT_MS, connect_timeout: float = 5.0,
                statement_timeout: float | None = None, autocommit: bool = False
                ) -> AsyncEngine:
    """PostgreSQL: `connect_timeout` bounds a connect and the wait for a pooled connection,
    `statement_timeout` (None: none) each statement, on the server and in the client (a server
    that hangs, not only one that refuses); a transaction left idle is ended after six.
    `autocommit` (PostgreSQL): each statement a transaction of its own, for reads."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        _create_parent(u.database)
        # Writers share one connection (the group commit), readers take turns for the rest
        # (SqlDatabase.take_read_turn). No overflow: a connection opened beyond the pool is
        # closed when given back, and a new one pays SQLite's schema read again.
        extra: dict[str, Any] = {}
        if u.get_driver_name() == "aiosqlite":  # statements run in the loop: no thread hops
            from starport.adapters.sql.sqlite_driver import inline_dbapi
            extra["module"] = inline_dbapi(busy_timeout_ms)
        engine = create_async_engine(u, echo=echo, pool_size=pool_size or 4,
                                     max_overflow=max_overflow or 0, **extra)
        _sqlite_transactions(engine, busy_timeout_ms)
        return engine
    # Two cores: a handful of busy connections saturate them. No overflow: beyond the pool a
    # connection was opened and closed per transaction under load (272 connects in one run of
    # bench/webhook.py, each a server process forked and every statement prepared anew);
    # a transaction waits for a pooled one instead, up to the connect timeout.
    engine = create_async_engine(
        u, echo=echo, pool_size=pool_size or 5, max_overflow=0 if max_overflow is None
        else max_overflow, pool_recycle=RECYCLE, pool_timeout=connect_timeout,
        isolation_level="AUTOCOMMIT" if autocommit else "READ COMMITTED",
        connect_args=_postgres_timeouts(u.get_driver_name(), connect_timeout, statement_timeout),
    )
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE = 2.0  # seconds a pooled connection may rest before it is checked at checkout
RECYCLE = 1800.0  # seconds a PostgreSQL connection serves before the pool replaces it
_SERVER_DROPPED_AT: dict[str, float] = {}  # server -> when a connection in use was found ended
# What a connection's pool record knows of it (`record.info`), by monotonic time:
BORN = "born"  # made
CHECKED = "checked"  # made, or last pinged
CHECKED_IN = "checked_in"  # last given back to the pool


def server_of(url: str | URL) -> str:
    u = make_url(url)
    return f"{u.host}:{u.port}/{u.database}"


def suspect(info: dict[str, Any], server: str) -> bool:
    """Made or last checked before a connection to its server was found dropped."""
    return bool(info.get(CHECKED, 0.0) < _SERVER_DROPPED_AT.get(server, -1.0))


def note_server_dropped(url: str | URL) -> None:
    """A connection in use was found ended by the server (a restart, a failover, a timeout):
    every connection to it made or last checked before now is pinged at its next checkout,
    once, in every engine of this process on that database. SQLAlchemy does the same for a
    disconnect it sees itself (it replaces every connection older than the failure); the
    short path's failures happen outside it (`SqlUnitOfWork._close`)."""
    _SERVER_DROPPED_AT[server_of(url)] = time.monotonic()


def _ping_when_idle(engine: AsyncEngine) -> None:
    """SQLAlchemy's `pool_pre_ping`, for connections that rested: a connection back in use
    within `PING_AFTER_IDLE` is trusted (under load, every checkout), one that rested longer is
    pinged first and replaced if the server dropped it (a restart, an idle timeout). A ping on
    asyncpg is BEGIN, `;`, ROLLBACK: three round trips on every checkout, more than a payment's
    pre-checkout itself. A connection that breaks while in use fails its statement, as it would
    have after a ping, and then every connection older than the failure is checked before it
    is used again (SQLAlchemy's own disconnect handling, or `note_server_dropped`): after a
    server restart one unit of work fails, not one per pooled connection."""
    server = server_of(engine.url)

    @event.listens_for(engine.sync_engine, "connect")
    def _new(dbapi_connection: Any, record: Any) -> None:
        record.info[BORN] = record.info[CHECKED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _rested_from(dbapi_connection: Any, record: Any) -> None:
        record.info[CHECKED_IN] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        now = time.monotonic()
        since = record.info.get(CHECKED_IN)
        if not suspect(record.info, server) and (since is None or now - since < PING_AFTER_IDLE):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool retries the checkout with a new connection
            raise DisconnectionError(f"a rested connection was dropped: {exc}") from exc
        record.info[CHECKED] = now


def _postgres_timeouts(driver: str, connect: float, statement: float | None) -> dict[str, Any]:
    settings = {} if statement is None else {
        "statement_timeout": str(int(statement * 1000)),
        "idle_in_transaction_session_timeout": str(int(statement * 6000))}
    if driver == "asyncpg":
        return {"timeout": connect, "command_timeout": statement, "server_settings": settings}
    if driver.startswith("psycopg"):
        options = " ".join(f"-c {name}={value}" for name, value in settings.items())
        return {"connect_timeout": max(1, round(connect)), **({"options": options}
                                                               if options else {})}
    return {}


def _create_parent(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_transactions(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    """The pysqlite recipe from SQLAlchemy's docs: the driver's own transaction handling is
    turned off and every transaction begins with BEGIN IMMEDIATE, taking the write lock up
    front, so two transactions can never deadlock upgrading a read lock to a write lock."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # SQLite's own busy wait blocks whoever calls it: kept short here, while the write
        # lock is waited for asynchronously (sqlite_driver).
        busy = min(busy_timeout_ms, SQLITE_BUSY_MS)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"busy_timeout={busy}",
                       "synchronous=FULL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        # Straight to the driver's cursor: a statement's trip through SQLAlchemy costs more
        # than this one does in SQLite.
        statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(statement)
        except conn.dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy would wrap it
            raise DBAPIError.instance(statement, None, exc,
                                      conn.dialect.loaded_dbapi.Error) from exc
        finally:
            cursor.close()
