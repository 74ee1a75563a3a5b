"""Create-session with an Idempotency-Key: a retry gets the same session, the same key with
another request is refused; two requests inserting one key at once: the loser's commit is a
Conflict (tests/contract/test_contract_idempotency.py), which the bus retries into a replay."""

from __future__ import annotations

import pytest
from tests.unit.conftest import ConflictingDatabase, MakeWorld, World

from starport.application import commands as c
from starport.domain.errors import IdempotencyConflict
from starport.domain.providers import Provider

STARS = Provider.TELEGRAM_STARS


def create(key: str | None, fingerprint: str = "f1", scope: str = "host",
           package: str = "starter") -> c.CreateSession:
    return c.CreateSession("u1", package, STARS, idempotency_key=key, scope=scope,
                           fingerprint=fingerprint)


async def test_a_retry_with_the_same_key_gets_the_same_session(world: World) -> None:
    first = await world.handle(create("k-1"))
    again = await world.handle(create("k-1"))

    assert again.id == first.id and again.replayed and not first.replayed
    assert len(world.sessions()) == 1


async def test_the_same_key_for_another_request_is_refused_and_makes_nothing(
        world: World) -> None:
    await world.handle(create("k-1", fingerprint="f1"))

    with pytest.raises(IdempotencyConflict, match="another request"):
        await world.handle(create("k-1", fingerprint="f2", package="pro"))
    assert len(world.sessions()) == 1


async def test_keys_belong_to_their_caller_and_no_key_is_no_memory(world: World) -> None:
    host = await world.handle(create("k-1"))
    mini_app = await world.handle(create("k-1", scope="tma:777"))
    plain = [await world.handle(create(None)) for _ in range(2)]

    assert len({host.id, mini_app.id, *(v.id for v in plain)}) == 4


async def test_a_write_conflict_retries_without_making_two_sessions_or_keys(
        make_world: MakeWorld, conflicting_db: ConflictingDatabase) -> None:
    # Given the request's first commit loses a race (the bus runs it again)
    world = make_world(db=conflicting_db)
    conflicting_db.conflicts = 1
    # When
    first = await world.handle(create("k-1"))
    again = await world.handle(create("k-1"))
    # Then
    assert conflicting_db.commits_refused == 1
    assert again.id == first.id and again.replayed and len(world.sessions()) == 1
