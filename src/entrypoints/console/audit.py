"""The audit trail: every admin action, who and why, newest first."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from starport.application import audit
from starport.entrypoints.console.page import Page, page
from starport.entrypoints.http.inputs import storable_param

SHOWN = 200


@page("audit")
async def list_actions(current: Page) -> Response:
    params = current.request.query_params
    who = params.get("admin", "").strip()
    target = params.get("target", "").strip()
    actions = await audit.find_actions(current.runtime.deps, audit.AuditQuery(
        admin=storable_param(who, "admin") if who else None,
        target=storable_param(target, "target") if target else None, limit=SHOWN))
    return current.render("audit.html", actions=actions, who=who, target=target)


ROUTES = [Route("/admin/audit", list_actions, methods=["GET"])]
