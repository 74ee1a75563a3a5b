"""The raw webhook inbox: a delivery stored with its effect, its outcome after, old ones pruned."""

from __future__ import annotations

from datetime import timedelta

from application import commands as c
from application.webhook_inbox import find_webhooks, record_outcome
from application.webhook_records import RawWebhook, WebhookQuery, pending_webhook
from domain.providers import Provider


def delivery(world, update_id: str = "1") -> RawWebhook:
    return RawWebhook(id=f"w{update_id}", source="telegram", received_at=world.clock.now(),
                      body=b"{}", update_id=update_id)


async def test_a_delivery_is_stored_by_its_effect_then_gets_its_outcome(world) -> None:
    record = delivery(world)
    token = pending_webhook.set(record)
    try:
        await world.handle(c.CreateSession("u1", "starter", Provider.TELEGRAM_STARS))
    finally:
        pending_webhook.reset(token)
    assert record.stored  # in the session's transaction
    await record_outcome(world.deps, record, "created")
    [found] = await find_webhooks(world.deps.uow, WebhookQuery(update_id="1"))
    assert (found.outcome, found.outcome_at) == ("created", world.clock.now())


async def test_a_delivery_without_effect_is_stored_with_its_outcome(world) -> None:
    record = delivery(world, "2")
    await record_outcome(world.deps, record, "ignored")
    [found] = await find_webhooks(world.deps.uow, WebhookQuery(update_id="2"))
    assert found.outcome == "ignored" and record.stored


async def test_the_prune_job_forgets_deliveries_past_their_retention(make_world) -> None:
    world = make_world(webhook_retention=timedelta(days=90))
    await record_outcome(world.deps, delivery(world, "old"), "ignored")
    world.clock.advance(timedelta(days=60))
    await record_outcome(world.deps, delivery(world, "new"), "ignored")
    world.clock.advance(timedelta(days=31))
    counts = await world.handle(c.PruneWebhookInbox(batch=1))
    assert counts["deleted"] == 1
    found = await find_webhooks(world.deps.uow, WebhookQuery())
    assert [r.update_id for r in found] == ["new"]
