"""Scenarios of features/jobs/expire_sessions.feature (steps in features/jobs/conftest.py)."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios("jobs/expire_sessions.feature")
