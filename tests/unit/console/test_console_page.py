"""How the console's pages show values: times in UTC, a missing one as a dash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from starport.entrypoints.console.page import when


def test_a_time_shows_in_utc_whether_given_as_a_datetime_or_as_iso_text() -> None:
    paris = timezone(timedelta(hours=1))

    assert when(datetime(2026, 12, 2, 23, 5, 20, tzinfo=UTC)) == "2026-12-02 23:05:20 UTC"
    assert when(datetime(2026, 12, 3, 0, 5, 20, tzinfo=paris)) == "2026-12-02 23:05:20 UTC"
    assert when("2026-12-02T23:05:20.123456+00:00") == "2026-12-02 23:05:20 UTC"
    assert when(None) == "—" and when("") == "—"
