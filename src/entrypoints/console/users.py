"""A user: balance, ledger, linked Telegram accounts, and a manual adjustment."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from starport.application import back_office, credits, links
from starport.application import commands as c
from starport.application.views import SpendResult
from starport.entrypoints.console.page import Page, page
from starport.entrypoints.http.errors import ApiError
from starport.entrypoints.http.schemas import AdjustBody, user_id_param


@page("users")
async def find_user(current: Page) -> Response:
    user_id = current.request.query_params.get("userId", "").strip()
    if user_id:
        return RedirectResponse(f"/admin/users/{quote(user_id, safe='')}", 303)
    return current.render("users.html")


async def _user(current: Page, notice: str | None = None) -> Response:
    deps, user_id = current.runtime.deps, user_id_param(current.request)
    overview = await back_office.user_overview(deps, user_id, limit=20)
    return current.render(
        "user.html", user_id=user_id, balance=await credits.get_balance(deps, user_id),
        ledger=await credits.get_statement(deps, user_id),
        links=await links.list_links(deps, user_id), notice=notice,
        sessions=overview.sessions, patrons=overview.patrons, actions=overview.actions,
        # A double submit of one form sends the same key: the adjustment is made once.
        idempotency_key=secrets.token_urlsafe(16))


@page("users")
async def show_user(current: Page) -> Response:
    return await _user(current)


@page("users")
async def adjust(current: Page) -> Response:
    user_id = user_id_param(current.request)
    body = AdjustBody.model_validate({
        "credits": _signed(current.form.get("credits", "")),
        "reason": current.form.get("reason", ""),
        "idempotencyKey": current.form.get("idempotencyKey", ""),
        "allowDebt": current.form.get("allowDebt") == "on"})
    if body.credits == 0:
        raise ApiError(422, "invalid_request", "credits: grant (> 0) or take (< 0), not 0")
    result: SpendResult = await current.runtime.bus.handle(c.AdjustCredits(
        user_id=user_id, credits=body.credits, reason=body.reason,
        idempotency_key=body.idempotency_key, requested_by=current.admin,
        allow_debt=body.allow_debt))
    done = ("This adjustment was made before (the same form sent twice): nothing changed."
            if result.replayed else f"Adjusted by {body.credits:+d} credits.")
    return await _user(current, f"{done} Balance: {result.balance}.")


def _signed(raw: str) -> int:
    text = raw.strip()
    digits = text.removeprefix("-").removeprefix("+")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 10:
        raise ApiError(422, "invalid_request", "credits: a whole number, e.g. 50 or -20")
    return int(text)


ROUTES = [
    Route("/admin/users", find_user, methods=["GET"]),
    Route("/admin/users/{user_id}", show_user, methods=["GET"]),
    Route("/admin/users/{user_id}/adjust", adjust, methods=["POST"]),
]
