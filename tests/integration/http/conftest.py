"""Fixtures of the HTTP tests: a fresh app over in-memory adapters per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from http_harness import Harness, make_config, make_harness


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    harness = make_harness(make_config())
    async with harness.client:
        yield harness
