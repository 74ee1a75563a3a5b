"""A payment reported twice, or by both a notification and the reconciliation, counts once."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios("payments/idempotency.feature")
