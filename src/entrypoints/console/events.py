"""Events to the host app: the list (by status, by user), and one sent again."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from starport.application import commands as c
from starport.application import event_log
from starport.application.effects import OutboxItem, OutboxStatus
from starport.entrypoints.console.page import Page, page
from starport.entrypoints.http.events import event_query, serialize_event
from starport.entrypoints.http.inputs import storable_param


async def _list(current: Page, notice: str | None = None) -> Response:
    params = {k: v for k, v in current.request.query_params.items()
              if k in ("status", "userId") and v}
    found = await event_log.find_events(current.runtime.deps, event_query(params))
    return current.render("events.html", events=[serialize_event(i) for i in found],
                          query=params, statuses=[s.value for s in OutboxStatus],
                          notice=notice)


@page("events")
async def list_events(current: Page) -> Response:
    return await _list(current)


@page("events")
async def resend(current: Page) -> Response:
    event_id = storable_param(current.request.path_params["event_id"], "eventId")
    item: OutboxItem = await current.runtime.bus.handle(c.ResendEvent(event_id,
                                                                      current.admin))
    outcome = ("delivered" if item.status is OutboxStatus.SENT
               else f"not delivered ({item.last_error or item.status.value})")
    return await _list(current, f"Event {event_id} sent again: {outcome}.")


ROUTES = [
    Route("/admin/events", list_events, methods=["GET"]),
    Route("/admin/events/{event_id}/resend", resend, methods=["POST"]),
]
