"""Typed errors of the Bot API client, and the mapping from a Telegram error reply to them."""

from __future__ import annotations

from typing import Any, ClassVar

# 403 descriptions that mean "this user cannot be messaged any more": callers record it.
_UNREACHABLE_USER = (
    "bot was blocked by the user",
    "user is deactivated",
    "bot can't initiate conversation with a user",
)


class TelegramError(Exception):
    """A Bot API call failed; `error_code` is None when Telegram never answered."""

    outcome: ClassVar[str] = "error"
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        method: str,
        error_code: int | None,
        description: str,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        self.method = method
        self.error_code = error_code
        self.description = description
        self.parameters = parameters or {}
        super().__init__(method, error_code, description, parameters)  # args: pickle round trip

    def __str__(self) -> str:
        code = "" if self.error_code is None else f" {self.error_code}"
        return f"{self.method}:{code} {self.description}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(method={self.method!r}, error_code={self.error_code!r}, "
            f"description={self.description!r})"
        )


class TelegramBadRequest(TelegramError):
    outcome = "bad_request"


class ChatNotFound(TelegramBadRequest):
    outcome = "chat_not_found"


class TelegramUnauthorized(TelegramError):
    outcome = "unauthorized"


class TelegramForbidden(TelegramError):
    outcome = "forbidden"


class BotBlocked(TelegramForbidden):
    """The user blocked the bot or deleted their account: stop messaging them."""

    outcome = "blocked"


class TelegramNotFound(TelegramError):
    outcome = "not_found"


class TelegramConflict(TelegramError):
    outcome = "conflict"


class TelegramRetryAfter(TelegramError):
    """Flood control: Telegram asks to wait `retry_after` seconds before calling again."""

    outcome = "retry_after"

    @property
    def retry_after(self) -> int:
        return _int_or(self.parameters.get("retry_after"), 1)


class TelegramServerError(TelegramError):
    outcome = "server_error"
    retryable = True


class TelegramNetworkError(TelegramError):
    """No usable answer: connection refused, timeout, broken connection."""

    outcome = "network_error"
    retryable = True

    def __init__(
        self,
        method: str,
        error_code: int | None = None,
        description: str = "network error",
        parameters: dict[str, Any] | None = None,
        *,
        request_sent: bool = True,
    ) -> None:
        super().__init__(method, error_code, description, parameters)
        self.request_sent = request_sent  # False: Telegram cannot have acted on it


class TelegramBadResponse(TelegramError):
    """Telegram (or a proxy in front of it) answered something that is not a Bot API reply."""

    outcome = "bad_response"


class InvalidInvoice(ValueError):
    """An invoice breaks a Bot API rule; it was not sent."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"invalid invoice {field}: {reason}")


_BY_CODE: dict[int, type[TelegramError]] = {
    400: TelegramBadRequest,
    401: TelegramUnauthorized,
    403: TelegramForbidden,
    404: TelegramNotFound,
    409: TelegramConflict,
    429: TelegramRetryAfter,
}


def error_for(
    method: str, error_code: int, description: str, parameters: dict[str, Any] | None = None
) -> TelegramError:
    """The typed exception for an error reply `{"ok": false, "error_code": ..., ...}`."""
    lowered = description.lower()
    cls: type[TelegramError]
    if error_code == 403 and any(p in lowered for p in _UNREACHABLE_USER):
        cls = BotBlocked
    elif error_code == 400 and "chat not found" in lowered:
        cls = ChatNotFound
    elif error_code >= 500:
        cls = TelegramServerError
    else:
        cls = _BY_CODE.get(error_code, TelegramError)
    return cls(method, error_code, description, parameters)


def _int_or(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default
