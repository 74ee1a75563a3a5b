"""Helpers of the client-against-sandbox tests."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Sleeps:
    """The client's sleep: recorded, not waited (the sandbox's faults do not depend on time)."""

    slept: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
