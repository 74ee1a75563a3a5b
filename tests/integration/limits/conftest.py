"""Fixtures: a migrated database (SQLite, PostgreSQL) under a live Starport."""

from tests.integration.starport_live import database_url, live_pg_url

__all__ = ["database_url", "live_pg_url"]
