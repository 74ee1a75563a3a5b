"""What every console page shares: the signed-in admin, the CSRF check of every POST, the form,
rendering with Jinja2 (autoescaped), and refusals shown as a page rather than JSON."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from starport.application.ports import ChannelNotAdmin, ProviderError
from starport.domain.errors import DomainError
from starport.entrypoints.console.session import COOKIE, IDLE, Session, Sessions
from starport.entrypoints.console.telegram_html import telegram_html
from starport.entrypoints.console.throttle import SignInThrottle
from starport.entrypoints.http.auth import runtime_of
from starport.entrypoints.http.errors import ApiError, status_of
from starport.entrypoints.runtime import Runtime

log = logging.getLogger("starport.console")
MAX_FIELDS = 50
TEMPLATES = Environment(loader=PackageLoader("starport.entrypoints.console", "templates"),
                        autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                        lstrip_blocks=True)


def when(moment: datetime | str | None) -> str:
    """A time as an operator reads it: "2026-12-02 23:05:20 UTC"; none: "—"."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


TEMPLATES.filters["when"] = when
TEMPLATES.filters["telegram_html"] = telegram_html
# Everything from this server; no inline script; forms post here only; never framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
NAV = (("overview", "/admin", "Overview"), ("payments", "/admin/payments", "Payments"),
       ("users", "/admin/users", "Users"), ("patrons", "/admin/patrons", "Patrons"),
       ("messages", "/admin/messages", "Bot messages"), ("events", "/admin/events", "Events"),
       ("outbox", "/admin/outbox", "Outbox"), ("jobs", "/admin/jobs", "Jobs"),
       ("deliveries", "/admin/deliveries", "Deliveries"), ("audit", "/admin/audit", "Audit"))


@dataclass
class Console:
    """The console's state in this process: sessions of the admins configured, sign-in
    failures."""

    sessions: Sessions
    throttle: SignInThrottle = field(default_factory=SignInThrottle)


def console_of(request: Request) -> Console:
    """This app's console; 404 (as the admin API) when no admin is configured."""
    runtime = runtime_of(request)
    admins = runtime.config.admins
    if not admins:
        raise ApiError(404, "not_found", "the console is off (no STARPORT_ADMIN_TOKEN or "
                                         "STARPORT_ADMINS)")
    console: Console | None = getattr(request.app.state, "console", None)
    if console is None:
        console = Console(Sessions(admins, runtime.config.starport_console_secret or ""))
        request.app.state.console = console
    return console


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(nav=NAV, **values)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form (the console's forms send nothing else); the first value of a name."""
    if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"):
        return {}
    try:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "malformed_form", "the form could not be read") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or STARPORT_PUBLIC_URL says so)."""
    public = runtime_of(request).config.starport_public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(COOKIE, cookie, max_age=int(IDLE.total_seconds()), path="/admin",
                        httponly=True, samesite="strict", secure=secure(request))


@dataclass
class Page:
    """A request of a signed-in admin: who, the form posted, and how to answer."""

    request: Request
    session: Session
    csrf: str
    form: dict[str, str]
    section: str

    @property
    def runtime(self) -> Runtime:
        return runtime_of(self.request)

    @property
    def admin(self) -> str:
        return self.session.admin

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return render(self.request, template, status, admin=self.admin, csrf=self.csrf,
                      section=self.section, **values)

    def refused(self, status: int, message: str) -> HTMLResponse:
        return self.render("refused.html", status, message=message)


Handler = Callable[[Page], Awaitable[Response]]


def page(section: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """A page of the signed-in console: no session -> the sign-in page (GET) or 401 (POST);
    a POST without this session's CSRF token -> 403; a refusal of the use case -> this page's
    error, with the status the JSON API would answer."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            console = console_of(request)
            now = runtime_of(request).deps.clock.now()
            session = console.sessions.read(request.cookies.get(COOKIE), now)
            if session is None:
                if request.method == "GET":
                    target = quote(request.url.path, safe="/")
                    return RedirectResponse(f"/admin/sign-in?next={target}", 303)
                return render(request, "sign_in.html", 401, next="/admin",
                              error="Your session has ended: sign in again.")
            csrf = console.sessions.csrf_token(session)
            form: dict[str, str] = {}
            if request.method == "POST":
                form = await read_form(request)
                if not console.sessions.csrf_ok(session, form.get("csrf", "")):
                    log.warning("console: a POST to %s by %s without its CSRF token refused",
                                request.url.path, session.admin)
                    return render(request, "refused.html", 403, admin=session.admin,
                                  csrf=csrf, section=section,
                                  message="This form has expired or did not come from the "
                                          "console: reload the page and try again.")
            current = Page(request, session, csrf, form, section)
            try:
                response = await handler(current)
            except DomainError as exc:
                response = current.refused(status_of(exc), exc.message)
            except ApiError as exc:
                response = current.refused(exc.status, exc.message)
            except ChannelNotAdmin as exc:
                response = current.refused(409, str(exc))
            except ProviderError as exc:
                response = current.refused(502, f"The provider failed: {exc}")
            except ValidationError as exc:
                response = current.refused(422, "; ".join(
                    f"{'.'.join(str(p) for p in err['loc']) or 'form'}: {err['msg']}"
                    for err in exc.errors(include_url=False)))
            if not _sets_cookie(response):  # signing out deletes it: that one stands
                set_session_cookie(request, response, console.sessions.touched(session, now))
            return response

        return endpoint

    return wrap


def _sets_cookie(response: Response) -> bool:
    return any(name == b"set-cookie" and value.startswith(COOKIE.encode() + b"=")
               for name, value in response.raw_headers)
