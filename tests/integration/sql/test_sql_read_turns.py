"""Read-only units of work get their connections first come, first served
(SqlDatabase.take_read_turn): a newcomer never takes the place of a reader already waiting
(a pre-checkout has 10 seconds; under a steady load SQLAlchemy's pool queue alone let some
wait as long as the load lasted)."""

from __future__ import annotations

import asyncio

import pytest

from starport.adapters.sql import SqlDatabase


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres",
                                                             marks=pytest.mark.postgres)])
async def test_readers_are_served_in_the_order_they_came_while_others_keep_coming(
        database: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if database == "sqlite" else "pg_url")
    db = SqlDatabase(url)
    entered: list[str] = []
    try:
        places = db._read_places()
        holders = [db(read_only=True) for _ in range(places)]
        for holder in holders:
            await holder.__aenter__()  # every place taken

        async def reader(name: str) -> None:
            async with db(read_only=True) as uow:
                entered.append(name)
                await uow.sessions.get("nobody")

        waiting = [asyncio.create_task(reader(f"early-{n}")) for n in range(5)]
        await asyncio.sleep(0.05)  # they wait for a place
        newcomers = []
        for holder in holders:  # a place comes free, and at once a newcomer asks for one
            await holder.__aexit__(None, None, None)
            newcomers.append(asyncio.create_task(reader(f"late-{len(newcomers)}")))
        async with asyncio.timeout(10):
            await asyncio.gather(*waiting, *newcomers)
    finally:
        await db.dispose()
    assert entered[:5] == [f"early-{n}" for n in range(5)]
    assert sorted(entered[5:]) == [f"late-{n}" for n in range(places)]
