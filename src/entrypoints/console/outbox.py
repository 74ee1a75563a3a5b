"""The outbox: what Starport still has to do, or gave up on (failed first), and a retry."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from starport.application import back_office
from starport.application import commands as c
from starport.application.effects import OutboxItem, OutboxStatus
from starport.entrypoints.console.page import Page, page
from starport.entrypoints.http.inputs import storable_param

SHOWN = 100


async def _list(current: Page, notice: str | None = None) -> Response:
    wanted = current.request.query_params.get("status", "failed")
    status = OutboxStatus(wanted) if wanted in OutboxStatus.__members__.values() else None
    items = await back_office.list_outbox(current.runtime.deps, status, SHOWN)
    return current.render("outbox.html", items=items, shown=wanted if status else "all",
                          statuses=[s.value for s in OutboxStatus], notice=notice)


@page("outbox")
async def list_outbox(current: Page) -> Response:
    return await _list(current)


@page("outbox")
async def retry(current: Page) -> Response:
    item_id = storable_param(current.request.path_params["item_id"], "itemId")
    item: OutboxItem = await current.runtime.bus.handle(
        c.RetryOutboxItem(item_id, current.admin))
    outcome = ("sent" if item.status is OutboxStatus.SENT
               else f"{item.status.value}: {item.last_error or 'no error'}")
    return await _list(current, f"Tried {type(item.effect).__name__} {item.id} again: "
                                f"{outcome}.")


ROUTES = [
    Route("/admin/outbox", list_outbox, methods=["GET"]),
    Route("/admin/outbox/{item_id}/retry", retry, methods=["POST"]),
]
