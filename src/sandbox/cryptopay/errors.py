"""The error the sandbox answers with, shaped like Crypto Pay's `{ok: false, error}`."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Crypto Pay style error; also raised by the sandbox's Python payer API."""

    def __init__(self, code: int, name: str) -> None:
        super().__init__(f"{code} {name}")
        self.code = code
        self.name = name

    def to_json(self) -> dict[str, Any]:
        return {"ok": False, "error": {"code": self.code, "name": self.name}}
