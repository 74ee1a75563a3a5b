"""A stand-in for the host app's event endpoint: keeps what it was given, can be made to fail."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class ReceiverDown(ConnectionError):
    """What the stand-in raises while it is down (as a refused connection would)."""


@dataclass
class RecordingEvents:
    delivered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (id, body)
    down: bool = False

    async def deliver(self, event_id: str, body: bytes) -> None:
        if self.down:
            raise ReceiverDown("connection refused")
        self.delivered.append((event_id, json.loads(body)))

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [body for _, body in self.delivered if body["type"] == event_type]
