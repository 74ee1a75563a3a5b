"""Identifier generators: random URL-safe ids in production, predictable ones in tests."""

from __future__ import annotations

import itertools
import secrets


class RandomIds:
    """22 URL-safe characters (~128 bits): unguessable, and short enough for a deep link
    (`pay_` + id stays within Telegram's 64-character start parameter)."""

    def new_id(self) -> str:
        return secrets.token_urlsafe(16)


class SequentialIds:
    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        return f"{self._prefix}{next(self._counter):06d}"
