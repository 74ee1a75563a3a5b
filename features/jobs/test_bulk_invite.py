"""Scenarios of features/jobs/bulk_invite.feature (steps in features/jobs/conftest.py)."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios("jobs/bulk_invite.feature")
