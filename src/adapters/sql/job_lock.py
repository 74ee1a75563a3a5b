"""Job locks beside the SQL database: a PostgreSQL advisory lock, or a file lock for SQLite.
Both are released by the operating system or the server when the holding process dies."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a job name."""
    digest = hashlib.blake2b(f"starport:job:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresJobLock:
    """`pg_try_advisory_lock` on a connection of its own, held (in autocommit, so never idle
    in a transaction) for the job's whole run; if the process dies, the server ends the
    session and the lock with it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        key = lock_key(name)
        conn = await self._engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            acquired = bool((await conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": key})).scalar())
            try:
                yield acquired
            finally:
                if acquired:
                    await self._release(conn, key, name)
        finally:
            await conn.close()

    @staticmethod
    async def _release(conn: AsyncConnection, key: int, name: str) -> None:
        try:
            released = (await conn.execute(text("SELECT pg_advisory_unlock(:key)"),
                                           {"key": key})).scalar()
        except Exception:  # a broken session: drop it, the server frees its locks
            log.warning("could not release the lock of job %s; dropping the connection", name)
            await conn.invalidate()
            return
        except BaseException:  # cancelled mid-unlock: never pool a session that may hold it
            await conn.invalidate()
            raise
        if not released:  # the session was replaced under us: the job ran unprotected
            log.error("the lock of job %s was lost while it ran", name)
            await conn.invalidate()


class FileJobLock:
    """`flock` on `<database file>.<job>.lock` (SQLite: every instance shares that file's
    directory); the kernel drops the lock when the process exits, however it exits."""

    def __init__(self, database_file: str | Path) -> None:
        self._base = Path(database_file).expanduser().resolve()

    def path(self, name: str) -> Path:
        return self._base.with_name(f"{self._base.name}.{name}.lock")

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The file stays: deleting it would let a newcomer lock a fresh inode while the
        # holder still locks the unlinked one.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for operators
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
