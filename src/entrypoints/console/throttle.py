"""Failed sign-ins, counted per client address: past a few in a window, a wrong token is
refused with a wait (the right one still gets in), so guessing one is slow."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
MAX_CLIENTS = 10_000  # addresses remembered; the oldest are forgotten first


@dataclass
class SignInThrottle:
    max_failures: int = MAX_FAILURES
    window: timedelta = WINDOW
    failures: dict[str, deque[datetime]] = field(default_factory=dict)

    def retry_after(self, client: str, now: datetime) -> int:
        """Seconds until `client` may try again; 0: now."""
        recent = self._recent(client, now)
        if len(recent) < self.max_failures:
            return 0
        return max(1, int((recent[0] + self.window - now).total_seconds()) + 1)

    def failed(self, client: str, now: datetime) -> None:
        recent = self._recent(client, now)
        recent.append(now)
        self.failures[client] = recent
        while len(self.failures) > MAX_CLIENTS:
            del self.failures[next(iter(self.failures))]

    def succeeded(self, client: str) -> None:
        self.failures.pop(client, None)

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        recent = self.failures.get(client, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
