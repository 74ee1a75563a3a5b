"""Scenarios of features/jobs/membership_checks.feature (steps in features/jobs/conftest.py)."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios("jobs/membership_checks.feature")
