"""Fixtures of the job tests: a throwaway PostgreSQL database (or a skip)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from features.drivers.http_database import postgres_unavailable

from starport.adapters.sql import migrate, testing


@pytest.fixture(scope="module")
def pg_jobs_url() -> Iterator[str]:
    admin = testing.admin_url()
    reason = testing.unreachable(admin)
    if reason is not None:
        postgres_unavailable(f"PostgreSQL not reachable ({reason})")
    url = testing.create_database(admin, "starport_test_jobs")
    try:
        migrate.upgrade(url)
        yield url
    finally:
        testing.drop_database(admin, url)
