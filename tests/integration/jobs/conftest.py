"""Fixtures of the job tests: a throwaway PostgreSQL database (or a skip)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from adapters.sql import migrate, testing


@pytest.fixture(scope="module")
def pg_jobs_url() -> Iterator[str]:
    admin = testing.admin_url()
    reason = testing.unreachable(admin)
    if reason is not None:
        message = f"PostgreSQL not reachable ({reason})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    url = testing.create_database(admin, "starport_test_jobs")
    try:
        migrate.upgrade(url)
        yield url
    finally:
        testing.drop_database(admin, url)
