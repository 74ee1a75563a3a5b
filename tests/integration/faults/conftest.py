"""Fixtures of the fault tests: the live Starport's databases."""

from tests.integration.starport_live import live_pg_url

__all__ = ["live_pg_url"]
