"""Errors at the HTTP edge: domain errors mapped once to a status, as {"error": {code, message}}."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from starport.adapters.telegram.errors import TelegramRetryAfter
from starport.application.ports import ChannelNotAdmin, ProviderError, ProviderRefused
from starport.domain import errors as e
from starport.domain.limits import RateLimited

log = structlog.get_logger("starport.http")
M = TypeVar("M", bound=BaseModel)

# Each domain error's HTTP status; anything not listed is a 409 (the rules refused it).
STATUS: dict[type[e.DomainError], int] = {
    e.UnknownPackage: 404,
    e.SessionNotFound: 404,
    e.UnknownMessageKey: 404,
    e.NotAPatron: 404,
    e.NotLinked: 404,
    e.EventNotFound: 404,
    e.ConversationNotFound: 404,
    e.InvalidAmount: 422,
    e.InvalidTemplate: 422,
    e.PayerUnknown: 422,
    e.InvalidLanguage: 422,
    e.ProviderNotEnabled: 400,
    e.SessionExpired: 410,
    e.UnbalancedEntry: 500,
    RateLimited: 429,
}


class ApiError(Exception):
    """A refusal decided at the edge (authentication, a malformed body, an unknown route)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers=headers)


def status_of(error: e.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 409


async def read_json(request: Request) -> Any:
    """The body as JSON; a malformed one (or one nested past the reader's depth) is a 400."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "malformed_json", "the request body is not valid JSON") from None


async def parse_body(request: Request, model: type[M], *, empty_ok: bool = False) -> M:
    """`empty_ok`: no body at all is `{}` (a request whose every field is optional)."""
    if empty_ok and not (await request.body()).strip():
        return model.model_validate({})
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_request", "the request body must be a JSON object")
    return model.model_validate(data)


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, headers)


async def handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.DomainError)
    status = status_of(exc)
    log.info("http.refused", code=exc.code, status=status, reason=exc.message)
    if isinstance(exc, RateLimited):
        return rate_limited_response(exc)
    return error_response(status, exc.code, exc.message)


def rate_limited_response(exc: RateLimited) -> JSONResponse:
    """429 with Retry-After (seconds), and the same number in the body for clients."""
    return JSONResponse(
        {"error": {"code": exc.code, "message": exc.message, "retryAfter": exc.retry_after,
                   "reason": exc.reason}},
        status_code=429, headers={"Retry-After": str(exc.retry_after)})


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationError)
    return error_response(422, "invalid_request", _validation_message(exc))


async def handle_provider_error(request: Request, exc: Exception) -> Response:
    log.warning("http.provider_error", error=str(exc))
    if isinstance(exc, ChannelNotAdmin):
        return error_response(409, "channel_not_admin", str(exc))
    if isinstance(exc, ProviderRefused):  # the operator must act first; retrying won't do
        return error_response(409, "provider_refused", f"the payment provider refused: {exc}")
    return error_response(502, "provider_error", f"the payment provider failed: {exc}")


async def handle_flood_wait(request: Request, exc: Exception) -> Response:
    """Telegram still said "too many requests" after the client's waits: the caller may try
    again after Telegram's own wait (what was stored before the call stays stored)."""
    assert isinstance(exc, TelegramRetryAfter)
    log.warning("http.telegram_flood_wait", retry_after=exc.retry_after)
    return error_response(503, "telegram_flood_wait", f"Telegram asks to wait "
                          f"{exc.retry_after} s before the next call; retry then",
                          {"Retry-After": str(exc.retry_after)})


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: handle_api_error,
    e.DomainError: handle_domain_error,
    ValidationError: handle_validation_error,
    ProviderError: handle_provider_error,
    ChannelNotAdmin: handle_provider_error,
    TelegramRetryAfter: handle_flood_wait,
    HTTPException: handle_http_exception,
}  # anything else: RequestContext answers a JSON 500 and logs it with the request's context
