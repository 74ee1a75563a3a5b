"""Who is calling: the host app's server (API token), a Mini App (initData), or an admin.

- `Authorization: Bearer <STARPORT_API_TOKEN>`: the host app's server; acts for any userId.
- `Authorization: tma <initData>`: a Mini App; acts only for its own user, taken from the
  signed initData, never from the body: the host user its Telegram account is linked to, else
  its Telegram-only account (str(Telegram id)).
- No STARPORT_API_TOKEN: only Mini Apps are accepted, except in sandbox mode where the
  host-app API is open (an unauthenticated call then acts as the server).
- `/api/admin/*`: `Bearer <STARPORT_ADMIN_TOKEN>`; without that token the admin API is off (404).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

import structlog
from starlette.requests import Request

from starport.application.links import resolve_account
from starport.entrypoints.http.errors import ApiError
from starport.entrypoints.http.initdata import InvalidInitData, verify_init_data
from starport.entrypoints.runtime import Runtime


@dataclass(frozen=True)
class Caller:
    """An authenticated caller; `telegram_user_id` is set for a Mini App only."""

    kind: str  # "server" | "mini_app"
    telegram_user_id: int | None = None
    first_name: str = ""
    language: str | None = None  # a Mini App user's Telegram language_code

    @property
    def is_mini_app(self) -> bool:
        return self.kind == "mini_app"

    def user_for(self, requested: str | None) -> str:
        """The userId this caller acts for: a Mini App only for itself."""
        if self.is_mini_app:
            own = str(self.telegram_user_id)
            if requested not in (None, own):
                raise ApiError(403, "forbidden", "a Mini App may only act for its own user")
            return own
        if not requested:
            raise ApiError(422, "invalid_request", "userId is required")
        return requested


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _same(secret: str | None, given: str) -> bool:
    """Constant-time comparison; an unset secret matches nothing."""
    if not secret:
        return False
    return hmac.compare_digest(secret.encode(), given.encode())


def _scheme(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    return scheme.lower(), value.strip()


async def acting_user(request: Request, caller: Caller, requested: str | None) -> str:
    """The userId this caller acts for: a Mini App for its own account only (the linked host
    user, which it may also name as str(Telegram id))."""
    if not caller.is_mini_app:
        return caller.user_for(requested)
    assert caller.telegram_user_id is not None
    account = await resolve_account(runtime_of(request).deps, caller.telegram_user_id)
    if requested not in (None, str(caller.telegram_user_id), account):
        raise ApiError(403, "forbidden", "a Mini App may only act for its own user")
    return account


def require_server(request: Request) -> Caller:
    """The host app's server only (linking accounts is not a Mini App's to do)."""
    caller = authenticate(request)
    if caller.is_mini_app:
        raise ApiError(403, "forbidden", "only the host app's server may do this")
    return caller


def authenticate(request: Request) -> Caller:
    """The caller of a host-app route, or 401."""
    runtime = runtime_of(request)
    config = runtime.config
    scheme, value = _scheme(request)
    if scheme == "tma":
        return _mini_app(runtime, value)
    if scheme == "bearer" and _same(config.starport_api_token, value):
        return Caller("server")
    if not scheme and config.sandbox and config.loopback and not config.starport_api_token:
        return Caller("server")  # sandbox without an API token: open, for local development
    raise ApiError(401, "unauthorized", "send `Bearer <API token>` or `tma <initData>`")


def _mini_app(runtime: Runtime, init_data: str) -> Caller:
    token = runtime.config.telegram_bot_token
    if not token:
        raise ApiError(401, "unauthorized", "Mini App authentication needs a bot token")
    max_age = timedelta(seconds=runtime.config.starport_initdata_max_age_seconds)
    try:
        user = verify_init_data(init_data, token, runtime.deps.clock.now(), max_age)
    except InvalidInitData as exc:
        raise ApiError(401, "invalid_init_data", str(exc)) from None
    structlog.contextvars.bind_contextvars(telegram_user_id=user.telegram_user_id)
    return Caller("mini_app", user.telegram_user_id, user.first_name, user.language_code)


def require_admin(request: Request) -> str:
    """The admin's name for the audit trail; 404 when the admin API is off, else 401."""
    admins = runtime_of(request).config.admins
    if not admins:
        raise ApiError(404, "not_found", "the admin API is off (no STARPORT_ADMIN_TOKEN or "
                                         "STARPORT_ADMINS)")
    scheme, value = _scheme(request)
    who = admin_named(admins, value) if scheme == "bearer" else None
    if who is None:
        raise ApiError(401, "unauthorized", "send `Bearer <admin token>`")
    return who


def admin_named(admins: dict[str, str], token: str) -> str | None:
    """The admin whose token this is: every token compared, in constant time each."""
    found = None
    for name, secret in admins.items():
        if _same(secret, token):
            found = name
    return found
