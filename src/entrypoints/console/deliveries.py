"""Deliveries: the raw webhook inbox, searched by any id a dispute gives."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from starport.application import deliveries
from starport.entrypoints.console.page import Page, page
from starport.entrypoints.http.deliveries import SOURCES, delivery_query, serialize_delivery

FIELDS = ("updateId", "chargeId", "invoiceId", "sessionId", "source")


@page("deliveries")
async def find_deliveries(current: Page) -> Response:
    params = {k: v for k, v in current.request.query_params.items() if k in FIELDS and v}
    found = []
    if params:
        query = delivery_query(params)
        found = [serialize_delivery(d)
                 for d in await deliveries.find_deliveries(current.runtime.deps, query)]
    return current.render("deliveries.html", query=params, sources=SOURCES,
                          searched=bool(params), deliveries=found)


ROUTES = [Route("/admin/deliveries", find_deliveries, methods=["GET"])]
