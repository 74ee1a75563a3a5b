"""The raw webhook inbox: record what came of a delivery, find deliveries, forget old ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from application import commands as c
from application.deps import Deps
from application.unit_of_work import UnitOfWork
from application.views import JobCounts
from application.webhook_records import RawWebhook, WebhookQuery, pending_webhook


async def record_outcome(deps: Deps, record: RawWebhook, outcome: str) -> None:
    """After handling: the outcome onto the stored delivery, or the delivery itself when no
    effect committed it. Call it once the delivery is no longer pending."""
    assert pending_webhook.get() is not record, "reset pending_webhook first"
    if record.stored and record.outcome == outcome:
        return  # recorded already, with the update's own last transaction
    record.outcome, record.outcome_at = outcome, deps.clock.now()
    async with deps.uow() as uow:
        if record.stored:
            await uow.webhooks.set_outcome(record.id, outcome, record.outcome_at)
        else:
            await uow.webhooks.add(record)
        await uow.commit()
    record.stored = True


async def find_webhooks(uow_factory: Callable[[], UnitOfWork], query: WebhookQuery
                        ) -> Sequence[RawWebhook]:
    async with uow_factory() as uow:
        return await uow.webhooks.find(query)


async def prune_webhook_inbox(deps: Deps, cmd: c.PruneWebhookInbox) -> JobCounts:
    """Deliveries older than the retention go, in batches; so does limit history nobody needs."""
    counts = JobCounts()
    now = deps.clock.now()
    before = now - deps.settings.webhook_retention
    while True:
        async with deps.uow() as uow:
            gone = await uow.webhooks.prune(before, cmd.batch)
            await uow.commit()
        counts.add("deleted", gone)
        if gone < cmd.batch:
            break
    if deps.settings.limits.enabled:
        async with deps.uow() as uow:
            counts.add("limit_history_deleted",
                       await uow.limits.prune(now - deps.settings.limits.lookback))
            await uow.commit()
    return counts
