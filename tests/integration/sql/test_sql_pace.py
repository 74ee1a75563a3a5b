"""The bot's Bot API schedule shared through the database: two processes (two engines) taking
stretches of it at once never get overlapping stretches, and a stretch never begins in the past,
so together they send at the bot's rate, not at twice it."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import pytest

from starport.adapters.sql import SqlDatabase
from starport.adapters.sql.pace import SqlPace

SLACK = 0.02  # seconds: see assert_disjoint_and_not_past


async def takes_two_processes(url: str, rounds: int = 40) -> list[tuple[float, float, float]]:
    """(begins, ends, now at the time of taking) of every stretch both processes took."""
    bot = f"bot:{uuid.uuid4().hex[:8]}"
    databases = [SqlDatabase(url), SqlDatabase(url)]
    try:
        paces = [SqlPace(db, bot) for db in databases]

        async def process(pace: SqlPace, span: float) -> list[tuple[float, float, float]]:
            taken = []
            for n in range(rounds):
                begins, now = await pace.take(span * (1 + n % 3))
                taken.append((begins, begins + span * (1 + n % 3), now))
            return taken

        first, second = await asyncio.gather(process(paces[0], 0.01), process(paces[1], 0.025))
        return first + second
    finally:
        for db in databases:
            await db.dispose()


def assert_disjoint_and_not_past(stretches: list[tuple[float, float, float]]) -> None:
    ordered = sorted(stretches)
    for (_, ends, _), (begins, _, _) in itertools.pairwise(ordered):
        assert begins >= ends - 1e-6, ordered
    # PostgreSQL reads its clock twice per take (the SET's and the RETURNING's
    # clock_timestamp()): a backend preempted between them on a busy machine reports a `now`
    # a few milliseconds after the stretch it computed began (seen once here at over 1 ms).
    assert all(begins >= now - SLACK for begins, _, now in stretches)


async def test_sqlite_processes_share_one_schedule(sqlite_url: str) -> None:
    assert_disjoint_and_not_past(await takes_two_processes(sqlite_url))


@pytest.mark.postgres
async def test_postgres_processes_share_one_schedule(pg_url: str) -> None:
    assert_disjoint_and_not_past(await takes_two_processes(pg_url))


async def test_a_free_schedule_begins_now_and_a_busy_one_later(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        pace = SqlPace(db, "bot:1")
        assert await pace.reserve(10.0) == 0.0  # free: now
        assert 9.0 < await pace.reserve(1.0) <= 10.0  # after the first caller's ten seconds
        assert await SqlPace(db, "bot:2").reserve(1.0) == 0.0  # another bot: its own schedule
    finally:
        await db.dispose()


async def test_a_hold_off_pushes_the_schedule_past_telegrams_wait(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        pace = SqlPace(db, "bot:3")
        assert await pace.reserve(0.1) == 0.0
        await pace.hold_off(10.0)
        assert 9.0 < await pace.reserve(0.1) <= 10.0
    finally:
        await db.dispose()
