"""The events sent to the host app, as the admin sees them: found, and sent again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from starport.application import back_office, host_events
from starport.application import commands as c
from starport.application.deps import Deps
from starport.application.effects import OutboxItem, OutboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventQuery:
    status: OutboxStatus | None = None
    user_id: str | None = None
    before: tuple[datetime, str] | None = None  # the next page: after the last (createdAt, id)
    limit: int = 50


async def find_events(deps: Deps, query: EventQuery) -> list[OutboxItem]:
    """Newest first: what was sent, what waits for a retry, what failed for good."""
    lane = host_events.lane(query.user_id) if query.user_id is not None else None
    async with deps.uow(read_only=True) as uow:
        return await uow.outbox.events(status=query.status, chat_id=lane,
                                       before=query.before, limit=query.limit)


async def resend_event(deps: Deps, cmd: c.ResendEvent) -> OutboxItem:
    """Deliver the event now, whatever its status (a sent one too: the receiver drops a
    `webhook-id` it has seen); the result is stored as the item's (a failure goes back to the
    retry schedule)."""
    return await back_office.retry(deps, cmd.event_id, cmd.requested_by, events_only=True)
