"""Payments: one found by its session id, and its refund (with a reason, after a confirmation),
made through the provider or recorded after one made outside Starport."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route
from structlog.contextvars import bind_contextvars

from starport.application import back_office
from starport.application import commands as c
from starport.application.payments import get_session
from starport.application.views import RefundResult
from starport.domain.providers import Provider
from starport.domain.sessions import SessionStatus
from starport.entrypoints.console.page import Page, page
from starport.entrypoints.http.back_office import payment_search
from starport.entrypoints.http.inputs import storable_param
from starport.entrypoints.http.schemas import RefundBody


@page("payments")
async def find_payment(current: Page) -> Response:
    """`?q=` any id the admin holds (and the API's filters): the sessions found; `?sessionId=`
    one session, with its refund form."""
    params = current.request.query_params
    session_id = params.get("sessionId", "").strip()
    found = None
    if session_id:
        found = await get_session(current.runtime.deps,
                                  storable_param(session_id, "sessionId"))
    search = payment_search({k: v.strip() for k, v in params.items() if v.strip()})
    results = None
    if not session_id:
        results = await back_office.search_payments(current.runtime.deps, search)
    return current.render("payments.html", session_id=session_id, payment=found,
                          results=results, q=params.get("q", ""),
                          status_filter=params.get("status", ""),
                          provider_filter=params.get("provider", ""),
                          statuses=[s.value for s in SessionStatus],
                          providers=[p.value for p in Provider])


@page("payments")
async def payment_story(current: Page) -> Response:
    session_id = storable_param(current.request.path_params["session_id"], "sessionId")
    story = await back_office.payment_story(current.runtime.deps, session_id)
    return current.render("payment.html", story=story, payment=story.session,
                          actions=story.actions)


@page("payments")
async def refund(current: Page) -> Response:
    """Without `confirm=yes`, the confirmation page; with it, the refund."""
    session_id = storable_param(current.request.path_params["session_id"], "sessionId")
    bind_contextvars(session_id=session_id)
    body = RefundBody.model_validate({"reason": current.form.get("reason", ""),
                                      "allowDebt": current.form.get("allowDebt") == "on"})
    outside = current.form.get("outside") == "on"
    payment = await get_session(current.runtime.deps, session_id)
    if current.form.get("confirm") != "yes":
        return current.render("refund_confirm.html", payment=payment, reason=body.reason,
                              allow_debt=body.allow_debt, outside=outside)
    command = c.RecordRefund if outside else c.RefundPayment
    result: RefundResult = await current.runtime.bus.handle(command(
        session_id=session_id, requested_by=current.admin, reason=body.reason,
        allow_debt=body.allow_debt))
    return current.render("refund_done.html", payment=payment, result=result,
                          reason=body.reason, outside=outside)


ROUTES = [
    Route("/admin/payments", find_payment, methods=["GET"]),
    Route("/admin/payments/{session_id}", payment_story, methods=["GET"]),
    Route("/admin/payments/{session_id}/refund", refund, methods=["POST"]),
]
