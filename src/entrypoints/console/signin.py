"""Signing in with an admin token (into a session cookie), and out."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from starport.entrypoints.console.page import (
    Page,
    console_of,
    log,
    page,
    read_form,
    render,
    secure,
    set_session_cookie,
)
from starport.entrypoints.console.session import COOKIE
from starport.entrypoints.http.auth import admin_named, runtime_of

FAILURE_DELAY = 0.5  # seconds a wrong token waits for its answer


def _next(raw: str | None) -> str:
    """Where to go after signing in: a console page only (never another site)."""
    if raw and raw.startswith("/admin") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/admin"


async def sign_in_form(request: Request) -> Response:
    console_of(request)
    return render(request, "sign_in.html", next=_next(request.query_params.get("next")),
                  error=None)


async def sign_in(request: Request) -> Response:
    console = console_of(request)
    runtime = runtime_of(request)
    now = runtime.deps.clock.now()
    client = request.client.host if request.client else "unknown"
    form = await read_form(request)
    target = _next(form.get("next"))
    # The right token always gets in (it has 16 characters or more: no one guesses it), so a
    # stranger's wrong guesses cannot lock the admins out; behind a proxy that hides the
    # address they would all share one count. Wrong guesses past the limit are refused.
    who = admin_named(runtime.config.admins, form.get("token", ""))
    wait = console.throttle.retry_after(client, now) if who is None else 0
    if wait:
        log.warning("console: a wrong token from %s refused: too many failures", client)
        await asyncio.sleep(FAILURE_DELAY)
        return render(request, "sign_in.html", 429, next=target,
                      error=f"Too many failed sign-ins: try again in {wait // 60 + 1} min.")
    if who is None:
        console.throttle.failed(client, now)
        log.warning("console: a sign-in from %s with a wrong token refused", client)
        await asyncio.sleep(FAILURE_DELAY)
        return render(request, "sign_in.html", 401, next=target,
                      error="This is not an admin token.")
    console.throttle.succeeded(client)
    _, cookie = console.sessions.issue(who, now)
    log.info("console: %s signed in from %s", who, client)
    response = RedirectResponse(target, 303)
    set_session_cookie(request, response, cookie)
    return response


@page("sign-out")
async def sign_out(current: Page) -> Response:
    console_of(current.request).sessions.sign_out(current.session,
                                                  current.runtime.deps.clock.now())
    log.info("console: %s signed out", current.admin)
    response = RedirectResponse("/admin/sign-in", 303)
    response.delete_cookie(COOKIE, path="/admin", secure=secure(current.request),
                           httponly=True, samesite="strict")
    return response


ROUTES = [
    Route("/admin/sign-in", sign_in_form, methods=["GET"]),
    Route("/admin/sign-in", sign_in, methods=["POST"]),
    Route("/admin/sign-out", sign_out, methods=["POST"]),
]
