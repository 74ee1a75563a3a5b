"""Bot API error answers (`{"ok": false, "error_code": ..., "description": ...}`) as exceptions."""

from __future__ import annotations

from typing import Any

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """An error answer of the Bot API; the HTTP status equals error_code, as on Telegram."""

    def __init__(
        self, code: int, description: str | None = None, *, retry_after: int | None = None
    ) -> None:
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if code == 429
                else _DEFAULT_DESCRIPTIONS.get(code, "Error")
            )
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


class SandboxError(Exception):
    """A control action that cannot happen (no such user, nothing to pay...)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class RuleViolation(ApiError):
    """A 400 for breaking a rule the spec states in words (Stars invoices: one price, XTR...)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, f"Bad Request: {message}")


def rule(message: str) -> RuleViolation:
    return RuleViolation(message)
