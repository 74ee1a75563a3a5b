"""Admin routes of the events sent to the host app: the list, and one sent again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from starport.application import commands as c
from starport.application import event_log
from starport.application.effects import OutboxItem, OutboxStatus, PublishEvent
from starport.entrypoints.http.admin import admin
from starport.entrypoints.http.auth import runtime_of
from starport.entrypoints.http.errors import ApiError
from starport.entrypoints.http.inputs import page_cursor, storable_param, whole
from starport.entrypoints.http.schemas import iso

MAX_LIMIT = 500
QUERY = ("status", "userId", "before", "limit")


def event_query(params: Mapping[str, str]) -> event_log.EventQuery:
    """`?status=pending|sent|failed&userId=&before=<createdAt>,<id> of the last one
    shown&limit=`."""
    limit = whole(params.get("limit", "50"), "limit", 1, MAX_LIMIT)
    status = params.get("status") or None
    if status is not None and status not in OutboxStatus.__members__.values():
        raise ApiError(422, "invalid_request",
                       f"status is one of {', '.join(s.value for s in OutboxStatus)}")
    before = page_cursor(params)
    user_id = storable_param(params["userId"], "userId") if params.get("userId") else None
    return event_log.EventQuery(status=OutboxStatus(status) if status else None,
                                user_id=user_id, before=before, limit=limit)


def serialize_event(item: OutboxItem) -> dict[str, Any]:
    e = item.effect
    assert isinstance(e, PublishEvent)
    return {
        "id": item.id, "type": e.event_type, "userId": str(e.data.get("userId", "")),
        "status": item.status.value, "attempts": item.attempts,
        "createdAt": iso(item.created_at),
        "nextAttemptAt": iso(item.available_at) if item.status is OutboxStatus.PENDING
        else None,
        "sentAt": iso(item.sent_at), "lastError": item.last_error,
        "payload": e.body(),
    }


async def find_events(request: Request, who: str) -> Any:
    found = await event_log.find_events(runtime_of(request).deps,
                                        event_query(request.query_params))
    return [serialize_event(item) for item in found]


async def resend_event(request: Request, who: str) -> Any:
    event_id = storable_param(request.path_params["event_id"], "eventId")
    item: OutboxItem = await runtime_of(request).bus.handle(c.ResendEvent(event_id, who))
    return serialize_event(item)


ROUTES = [
    Route("/api/admin/events", admin(find_events), methods=["GET"]),
    Route("/api/admin/events/{event_id}/resend", admin(resend_event), methods=["POST"]),
]
