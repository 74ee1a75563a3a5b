"""When to retry a Bot API call, and how long to wait first."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

# Methods that are safe to send twice: a second call leaves the same state as the first
# (refundStarPayment answers CHARGE_ALREADY_REFUNDED, which the client treats as success).
# Anything else (sendMessage, sendInvoice, createChatInviteLink, ...) might act twice if it is
# resent after the request may already have reached Telegram.
_IDEMPOTENT_PREFIXES = (
    "get", "set", "delete", "answer", "edit", "ban", "unban", "approve", "decline",
    "revoke", "refund", "close", "logOut",
)  # fmt: skip


def safe_to_repeat(method: str) -> bool:
    return method.startswith(_IDEMPOTENT_PREFIXES)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retries. Seconds are floats here: they are durations, never money."""

    max_retries: int = 3  # 5xx and network errors, per call
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_flood_waits: int = 3  # 429 answers honoured per call
    max_retry_after: float = 60.0  # a longer retry_after is raised to the caller at once
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (1-based): capped exponential, equal jitter."""
        ceiling: float = min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))
        return ceiling / 2 + ceiling / 2 * self.jitter()

    def may_wait_flood(self, waits_so_far: int, retry_after: float) -> bool:
        return waits_so_far < self.max_flood_waits and retry_after <= self.max_retry_after
