"""Fixtures: the emulator served over loopback HTTP with a bot's webhook beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from features.drivers import http_watch
from fiat_support import Bot, served_bot

from starport.sandbox.telegram import SandboxTelegram


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[SandboxTelegram, Bot]]:
    """These tests break the invoice rules on purpose (as tests/integration/sandbox_telegram
    do), so the run-wide Bot API spec check is told to look away; the emulator's own output
    must still be on the spec."""
    async with served_bot() as (sandbox, bot):
        yield sandbox, bot
        assert sandbox.result_violations == [], "the sandbox itself answered off the spec"
    http_watch.discard()


@pytest_asyncio.fixture
async def bot(served: tuple[SandboxTelegram, Bot]) -> Bot:
    return served[1]


@pytest_asyncio.fixture
async def sandbox(served: tuple[SandboxTelegram, Bot]) -> SandboxTelegram:
    return served[0]
