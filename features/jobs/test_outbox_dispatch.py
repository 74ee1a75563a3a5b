"""Scenarios of features/jobs/outbox_dispatch.feature (steps in features/jobs/conftest.py)."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios("jobs/outbox_dispatch.feature")
