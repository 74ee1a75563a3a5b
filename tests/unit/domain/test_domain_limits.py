"""Payment limits as a pure rule: sessions per window, cooldown after repeated failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from starport.domain.limits import PaymentLimits, RateLimited, cooldown_until, humanize, verdict

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LIMITS = PaymentLimits(max_sessions=3, window=timedelta(hours=1), max_failures=2,
                       cooldown=timedelta(minutes=10))


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def test_under_the_session_limit_a_user_may_open_another() -> None:
    assert verdict(LIMITS, now=NOW, sessions=[ago(50), ago(10)], failures=[]).allowed


def test_at_the_limit_they_wait_until_the_oldest_session_leaves_the_window() -> None:
    # Given three sessions in the last hour, the oldest 50 minutes ago
    found = verdict(LIMITS, now=NOW, sessions=[ago(50), ago(20), ago(5)], failures=[])
    # Then the fourth waits 10 minutes
    assert (found.allowed, found.retry_after, found.reason) == (False, 600, "sessions")
    with pytest.raises(RateLimited) as refused:
        found.enforce()
    assert refused.value.retry_after == 600 and refused.value.code == "rate_limited"


def test_sessions_older_than_the_window_do_not_count() -> None:
    assert verdict(LIMITS, now=NOW, sessions=[ago(61), ago(60), ago(20), ago(5)],
                   failures=[]).allowed


def test_paying_a_session_one_holds_ignores_the_session_count() -> None:
    sessions = [ago(3), ago(2), ago(1)]
    assert verdict(LIMITS, now=NOW, sessions=sessions, failures=[], opening=False).allowed


def test_enough_failures_start_a_cooldown_from_the_last_of_them() -> None:
    found = verdict(LIMITS, now=NOW, sessions=[], failures=[ago(30), ago(4)], opening=False)
    assert (found.allowed, found.retry_after, found.reason) == (False, 360, "cooldown")


def test_after_the_cooldown_the_count_starts_afresh() -> None:
    # Two failures made a cooldown that ended 6 minutes ago; one more failure since
    failures = [ago(30), ago(16), ago(2)]
    assert cooldown_until(LIMITS, failures) == ago(16) + LIMITS.cooldown
    assert verdict(LIMITS, now=NOW, sessions=[], failures=failures).allowed
    # and a second one makes a new cooldown
    assert cooldown_until(LIMITS, [*failures, ago(1)]) == ago(1) + LIMITS.cooldown


def test_failures_further_apart_than_the_window_never_add_up() -> None:
    assert cooldown_until(LIMITS, [ago(200), ago(100), ago(1)]) is None


def test_zero_turns_the_limits_off() -> None:
    off = PaymentLimits(max_sessions=0, max_failures=0)
    assert not off.enabled
    assert verdict(off, now=NOW, sessions=[ago(1)] * 50, failures=[ago(1)] * 50).allowed


@pytest.mark.parametrize(("seconds", "text"), [
    (1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes"),
    (600, "10 minutes"), (7200, "2 hours"), (7201, "3 hours"),
])
def test_the_wait_reads_well(seconds: int, text: str) -> None:
    assert humanize(seconds) == text
