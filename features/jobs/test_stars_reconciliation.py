"""Scenarios of features/jobs/stars_reconciliation.feature (steps in features/jobs/conftest.py)."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios("jobs/stars_reconciliation.feature")
