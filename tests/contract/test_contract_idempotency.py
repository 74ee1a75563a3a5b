"""Contract: idempotency keys of create-session, one per (caller, key), on every back end."""

from __future__ import annotations

import pytest
from contract_samples import Database, at

from starport.application.repositories import IdempotentRequest
from starport.application.unit_of_work import Conflict


async def test_a_key_is_kept_per_caller_and_taken_once(db: Database) -> None:
    first = IdempotentRequest("host", "k-1", "f" * 64, "s1", at(1))
    async with db() as uow:
        await uow.idempotency.add(first)
        await uow.idempotency.add(IdempotentRequest("tma:7", "k-1", "e" * 64, "s2", at(1)))
        await uow.commit()
    with pytest.raises(Conflict):  # the same caller's key again (a concurrent retry)
        async with db() as uow:
            await uow.idempotency.add(IdempotentRequest("host", "k-1", "d" * 64, "s3", at(2)))
            await uow.commit()
    async with db() as uow:
        assert await uow.idempotency.get("host", "k-1") == first
        assert (await uow.idempotency.get("tma:7", "k-1")).session_id == "s2"  # type: ignore[union-attr]
        assert await uow.idempotency.get("host", "k-2") is None
