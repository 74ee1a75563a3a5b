"""Failed sign-ins: past the limit a client waits out the window; others are not affected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starport.entrypoints.console.throttle import SignInThrottle

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_client_past_the_limit_waits_until_its_oldest_failure_leaves_the_window() -> None:
    # Given
    throttle = SignInThrottle(max_failures=3, window=timedelta(minutes=15))
    for minute in range(3):
        throttle.failed("10.0.0.1", NOW + timedelta(minutes=minute))
    # When
    wait = throttle.retry_after("10.0.0.1", NOW + timedelta(minutes=3))
    # Then
    assert 0 < wait <= 12 * 60 + 1
    assert throttle.retry_after("10.0.0.2", NOW) == 0
    assert throttle.retry_after("10.0.0.1", NOW + timedelta(minutes=15, seconds=1)) == 0


def test_a_success_forgets_the_failures() -> None:
    throttle = SignInThrottle(max_failures=2)
    throttle.failed("a", NOW)
    throttle.succeeded("a")
    throttle.failed("a", NOW)

    assert throttle.retry_after("a", NOW) == 0
