"""The one thing the method mixins need from the client: `call`."""

from __future__ import annotations

from typing import Any


class Calls:
    async def call(self, method: str, /, **params: Any) -> Any:
        raise NotImplementedError
