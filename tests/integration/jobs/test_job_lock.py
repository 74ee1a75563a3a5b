"""The job lock adapters: one holder per job name, never waiting, freed when the holder dies."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy import text

from starport.adapters.memory.job_lock import MemoryJobLock
from starport.adapters.sql.database import SqlDatabase
from starport.adapters.sql.job_lock import FileJobLock, PostgresJobLock, lock_key
from starport.application.job_lock import JobLock
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import build_runtime
from starport.entrypoints.jobs.registry import BUSY, run_job


async def exclusive(first: JobLock, second: JobLock) -> None:
    """While `first` holds a job, `second` is refused it at once but gets any other job;
    once released, `second` gets it."""
    async with first.hold("expire-sessions") as held:
        assert held
        async with second.hold("expire-sessions") as again:
            assert not again
        async with second.hold("dispatch-outbox") as other:
            assert other
    async with second.hold("expire-sessions") as after:
        assert after


async def test_memory_lock_is_exclusive_within_the_process() -> None:
    lock = MemoryJobLock()
    await exclusive(lock, lock)


async def test_file_lock_is_exclusive_between_holders(tmp_path: Path) -> None:
    db_file = tmp_path / "starport.db"
    await exclusive(FileJobLock(db_file), FileJobLock(db_file))
    assert FileJobLock(db_file).path("x") == tmp_path / "starport.db.x.lock"


async def test_file_lock_of_a_killed_process_is_free(tmp_path: Path) -> None:
    lock = FileJobLock(tmp_path / "starport.db")
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n",
        str(lock.path("check-memberships")), stdout=asyncio.subprocess.PIPE)
    assert holder.stdout is not None
    assert await asyncio.wait_for(holder.stdout.readline(), 10) == b"held\n"
    async with lock.hold("check-memberships") as held:
        assert not held
    holder.kill()
    await holder.wait()
    async with lock.hold("check-memberships") as held:
        assert held


def test_lock_keys_are_stable_and_distinct() -> None:
    assert lock_key("expire-sessions") == lock_key("expire-sessions")
    assert lock_key("expire-sessions") != lock_key("dispatch-outbox")


async def test_postgres_advisory_lock_is_exclusive_between_engines(pg_jobs_url: str) -> None:
    one, two = SqlDatabase(pg_jobs_url), SqlDatabase(pg_jobs_url)
    try:
        await exclusive(PostgresJobLock(one.engine), PostgresJobLock(two.engine))
    finally:
        await one.dispose()
        await two.dispose()


async def test_postgres_lock_of_a_dead_session_is_free(pg_jobs_url: str) -> None:
    one, two = SqlDatabase(pg_jobs_url), SqlDatabase(pg_jobs_url)
    try:
        async with PostgresJobLock(one.engine).hold("reconcile-telegram-stars") as held:
            assert held
            # The holder's session dies. pg_terminate_backend only signals the backend: with a
            # timeout (PostgreSQL 14+) it returns once the backend is gone and its locks with it
            # (without one, the next line raced the backend's exit: a flaky failure in CI).
            async with two.connection(two.engine) as conn:
                await conn.execute(text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks "
                    "WHERE locktype = 'advisory' "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"))
            async with PostgresJobLock(two.engine).hold("reconcile-telegram-stars") as got:
                assert got
    finally:
        await one.dispose()
        await two.dispose()


async def test_a_job_held_elsewhere_is_skipped_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'starport.db'}"
    config = StarportConfig(_env_file=None, database_url=url)  # type: ignore[call-arg]
    runtime = build_runtime(config)
    try:
        assert isinstance(runtime.job_lock, FileJobLock)
        async with FileJobLock(tmp_path / "starport.db").hold("expire-sessions") as held:
            assert held
            counts = await run_job(runtime, "expire-sessions")
    finally:
        await runtime.aclose()
    assert counts.counts == {BUSY: 1}
