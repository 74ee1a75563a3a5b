"""UtcDateTime's one-step binding for SQLite writes exactly the text SQLAlchemy's own path
(the decorator's conversion, then SQLite's DATETIME format) writes, and refuses what it
refuses; elsewhere the decorator's own path is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from starport.adapters.sql.types import UtcDateTime

SQLITE = sqlite.dialect()
ONE_STEP = UtcDateTime()._cached_bind_processor(SQLITE)
# SQLAlchemy's composition for the same type: process_bind_param, then the dialect's DATETIME
DECORATED = TypeDecorator.bind_processor(UtcDateTime().dialect_impl(SQLITE), SQLITE)

offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
aware = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31),
                     timezones=offsets)


@given(aware)
def test_the_one_step_text_is_sqlalchemys_text(value: datetime) -> None:
    assert ONE_STEP is not None and DECORATED is not None
    assert ONE_STEP(value) == DECORATED(value)


@pytest.mark.parametrize("value", [datetime(2026, 12, 4, 5, 6, 7, tzinfo=UTC),
                                   datetime(2026, 12, 4, 0, 30, tzinfo=timezone(timedelta(hours=5,
                                                                                        minutes=30))),
                                   datetime(1, 1, 2, 0, 0, 0, 1, tzinfo=UTC)])
def test_whole_seconds_and_early_years_keep_their_padding(value: datetime) -> None:
    assert ONE_STEP is not None
    text = ONE_STEP(value)
    assert text == DECORATED(value)  # type: ignore[misc]
    assert len(text) == len("2026-12-04 05:06:07.000000")


def test_none_stays_none_and_a_naive_datetime_is_refused() -> None:
    assert ONE_STEP is not None
    assert ONE_STEP(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        ONE_STEP(datetime(2026, 12, 4, 5, 6, 7))


def test_postgresql_keeps_the_decorators_own_path() -> None:
    dialect: Any = postgresql.asyncpg.dialect()  # type: ignore[attr-defined]
    process = UtcDateTime()._cached_bind_processor(dialect)
    value = datetime(2026, 12, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2)))
    bound = process(value) if process is not None else value
    assert bound == value and bound.tzinfo is UTC


def test_sqlite_binds_in_one_function_not_the_decorators_chain() -> None:
    assert ONE_STEP is not None and ONE_STEP.__module__ == UtcDateTime.__module__
