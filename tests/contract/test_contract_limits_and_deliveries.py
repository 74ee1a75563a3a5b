"""Contract: the payment limits' history and the deliveries, on every back end."""

from __future__ import annotations

import asyncio

from contract_samples import Database, at

from starport.application.deliveries import Delivery, DeliveryQuery


def raw(record_id: str, minutes: float, update_id: str | None = None, **ids: str | None
        ) -> Delivery:
    return Delivery(id=record_id, source=str(ids.pop("source", None) or "telegram"),
                    update_id=update_id or record_id, received_at=at(minutes),
                    body=b'{"update_id": 1, "x": "\xc3\xa9"}',
                    headers={"content-type": "application/json"}, **ids)  # type: ignore[arg-type]


async def test_attempts_are_kept_per_user_and_kind_oldest_first(db: Database) -> None:
    async with db() as uow:
        await uow.limits.hold("u1", at(0))
        for minutes in (5, 1, 3):
            await uow.limits.record("u1", "session", at(minutes))
        await uow.limits.record("u1", "failure", at(2))
        await uow.limits.record("u2", "session", at(4))
        await uow.commit()
    async with db() as uow:
        await uow.limits.hold("u1", at(6))  # a second hold of the same user is fine
        assert await uow.limits.times("u1", "session", at(0)) == [at(1), at(3), at(5)]
        assert await uow.limits.times("u1", "session", at(3)) == [at(5)]  # strictly after
        assert await uow.limits.times("u1", "failure", at(0)) == [at(2)]
        assert await uow.limits.times("u3", "session", at(0)) == []


async def test_attempts_rolled_back_are_not_kept_and_old_ones_are_pruned(db: Database) -> None:
    async with db() as uow:
        await uow.limits.record("u1", "session", at(1))
    async with db() as uow:
        assert await uow.limits.times("u1", "session", at(0)) == []
        for minutes in (1, 2, 10):
            await uow.limits.record("u1", "session", at(minutes))
        await uow.commit()
    async with db() as uow:
        assert await uow.limits.prune(at(5)) == 2
        await uow.commit()
    async with db() as uow:
        assert await uow.limits.times("u1", "session", at(0)) == [at(10)]


async def test_holds_of_one_user_queue_one_behind_the_other(db: Database) -> None:
    # Given a transaction holding u1's limits
    first = db()
    await first.__aenter__()
    await first.limits.hold("u1", at(0))
    await first.limits.record("u1", "session", at(0))

    async def second() -> list[object]:
        async with db() as uow:
            await uow.limits.hold("u1", at(1))
            found = list(await uow.limits.times("u1", "session", at(-1)))
            await uow.commit()
            return found

    # When another checker of u1 starts before the first commits
    waiting = asyncio.create_task(second())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await first.commit()
    await first.__aexit__(None, None, None)
    # Then it sees what the first committed
    assert await asyncio.wait_for(waiting, 10) == [at(0)]


async def test_deliveries_round_trip_and_are_found_by_each_id(db: Database) -> None:
    tg = raw("w1", 1, update_id="100", charge_id="stxCH1", session_id="s1", outcome="credited")
    cp = raw("w2", 2, source="cryptopay", update_id="100", invoice_id="42")
    async with db() as uow:
        assert await uow.deliveries.add(tg)
        assert await uow.deliveries.add(cp)  # the same update id from another source
        await uow.commit()
    async with db() as uow:
        [found] = await uow.deliveries.find(DeliveryQuery(charge_id="stxCH1"))
        assert (found.id, found.body, found.headers, found.verified) == (
            "w1", tg.body, tg.headers, True)
        assert (found.update_id, found.session_id, found.received_at) == ("100", "s1", at(1))
        assert found.outcome == "credited"
        assert [r.id for r in await uow.deliveries.find(DeliveryQuery(update_id="100"))] == [
            "w2", "w1"]  # newest first
        assert [r.id for r in await uow.deliveries.find(
            DeliveryQuery(update_id="100", source="telegram"))] == ["w1"]
        assert [r.id for r in await uow.deliveries.find(DeliveryQuery(invoice_id="42"))] == [
            "w2"]
        assert [r.id for r in await uow.deliveries.find(DeliveryQuery(limit=1))] == ["w2"]


async def test_the_same_delivery_again_is_refused_and_changes_nothing(db: Database) -> None:
    async with db() as uow:
        assert await uow.deliveries.add(raw("w1", 1, update_id="7", outcome="credited"))
        await uow.commit()
    async with db() as uow:
        assert not await uow.deliveries.add(raw("w9", 2, update_id="7", outcome="credited"))
        await uow.commit()
    async with db() as uow:
        assert [r.id for r in await uow.deliveries.find(DeliveryQuery(update_id="7"))] == ["w1"]


async def test_a_delivery_rolled_back_was_never_handled(db: Database) -> None:
    async with db() as uow:
        assert await uow.deliveries.add(raw("w1", 1, update_id="7"))
    async with db() as uow:
        assert await uow.deliveries.add(raw("w2", 1, update_id="7"))
        await uow.commit()


async def test_two_transactions_adding_one_delivery_store_it_once(db: Database) -> None:
    first = db()
    await first.__aenter__()
    assert await first.deliveries.add(raw("w1", 1, update_id="7"))

    async def second() -> bool:
        async with db() as uow:
            added = await uow.deliveries.add(raw("w2", 1, update_id="7"))
            await uow.commit()
            return added

    waiting = asyncio.create_task(second())  # waits for the first (or for its writer lock)
    await asyncio.sleep(0.05)
    await first.commit()
    await first.__aexit__(None, None, None)
    assert await asyncio.wait_for(waiting, 10) is False


async def test_old_deliveries_are_pruned_in_batches(db: Database) -> None:
    async with db() as uow:
        for n in range(5):
            await uow.deliveries.add(raw(f"w{n}", n))
        await uow.commit()
    async with db() as uow:
        assert await uow.deliveries.prune(at(3), limit=2) == 2
        assert await uow.deliveries.prune(at(3), limit=2) == 1
        assert await uow.deliveries.prune(at(3), limit=2) == 0
        await uow.commit()
    async with db() as uow:
        assert sorted(r.id for r in await uow.deliveries.find(DeliveryQuery())) == ["w3", "w4"]


async def test_the_last_update_id_is_the_highest_number_of_its_source(db: Database) -> None:
    async with db() as uow:
        assert await uow.deliveries.last_update_id("telegram") is None
        for update_id, source in (("9", "telegram"), ("10", "telegram"), ("77", "cryptopay"),
                                  ("not-a-number", "telegram")):
            await uow.deliveries.add(raw(f"w{update_id}", 1, update_id=update_id, source=source))
        await uow.commit()
    async with db() as uow:
        assert await uow.deliveries.last_update_id("telegram") == 10  # a number, not text
        assert await uow.deliveries.last_update_id("cryptopay") == 77
