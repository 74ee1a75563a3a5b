"""Per-user payment limits: sessions per window, and a cooldown after repeated failures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from starport.domain.errors import DomainError

if TYPE_CHECKING:
    from starport.domain.sessions import PaymentSession

# What a user's history of attempts holds: sessions opened, and refused or failed payments.
SESSION = "session"
FAILURE = "failure"


class RateLimited(DomainError):
    """Too many payment attempts: `retry_after` seconds until the user may try again."""

    code = "rate_limited"

    def __init__(self, retry_after: int, reason: str) -> None:
        what = ("too many failed payment attempts" if reason == "cooldown"
                else "too many payment sessions")
        super().__init__(f"{what}; try again in {humanize(retry_after)}")
        self.retry_after = retry_after
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PaymentLimits:
    """Zero turns a limit off."""

    max_sessions: int = 10  # payment sessions a user may open per `window`
    window: timedelta = timedelta(hours=1)
    max_failures: int = 5  # refused pre-checkouts or failed payments within `window` ...
    cooldown: timedelta = timedelta(minutes=15)  # ... then this long without new payments

    @property
    def enabled(self) -> bool:
        return self.max_sessions > 0 or self.max_failures > 0

    @property
    def lookback(self) -> timedelta:
        """How far back the history must reach for `verdict` to be exact."""
        return self.window + self.cooldown


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds, at least 1 when refused
    reason: str = ""  # "sessions" | "cooldown"

    def enforce(self) -> None:
        if not self.allowed:
            raise RateLimited(self.retry_after, self.reason)


ALLOWED = Verdict(True)
NO_LIMITS = PaymentLimits(max_sessions=0, max_failures=0)


def cooldown_until(limits: PaymentLimits, failures: Sequence[datetime]) -> datetime | None:
    """The end of the latest cooldown: it starts at the failure that makes `max_failures`
    within one window, and the count starts afresh after it (failures during one do not count,
    so it is not prolonged by the attempts it refuses)."""
    if limits.max_failures <= 0:
        return None
    until: datetime | None = None
    streak: list[datetime] = []
    for at in sorted(failures):
        if until is not None and at < until:
            continue
        streak = [t for t in streak if t > at - limits.window] + [at]
        if len(streak) >= limits.max_failures:
            until, streak = at + limits.cooldown, []
    return until


def verdict(limits: PaymentLimits, *, now: datetime, sessions: Sequence[datetime],
            failures: Sequence[datetime], opening: bool = True) -> Verdict:
    """May the user go on? `opening`: they want a new session (else only the cooldown
    applies, e.g. paying a session they already have)."""
    until = cooldown_until(limits, failures)
    if until is not None and now < until:
        return Verdict(False, _seconds(until - now), "cooldown")
    if opening and limits.max_sessions > 0:
        recent = sorted(t for t in sessions if t > now - limits.window)
        if len(recent) >= limits.max_sessions:
            # Free again when enough of the window's sessions have aged out of it.
            frees_at = recent[len(recent) - limits.max_sessions] + limits.window
            return Verdict(False, _seconds(frees_at - now), "sessions")
    return ALLOWED


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def humanize(seconds: int) -> str:
    """For the bot's message: "45 seconds", "1 minute", "12 minutes", "2 hours"."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hours"


def checkout_blames(session: PaymentSession | None, payer_telegram_id: int) -> str:
    """Whose limits a refused pre-checkout counts against: the session's owner when the payer
    is the Telegram account linked to it (or none is yet); otherwise the payer's own Telegram
    account, so that a stranger paying someone's link (or an unknown one) cannot put the owner
    into a cooldown."""
    if session is not None and session.telegram_user_id in (None, payer_telegram_id):
        return session.user_id
    return f"tg:{payer_telegram_id}"
