"""Fixtures: a scripted fake Bot API behind httpx.MockTransport and clients wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tg_client_fakes import TOKEN, FakeBotApi, MakeClient, Recorder

from starport.adapters.telegram import BotApiClient, RetryPolicy


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def make_client(api: FakeBotApi, recorder: Recorder) -> AsyncIterator[MakeClient]:
    """Clients on the fake API, recording sleeps and calls; backoff jitter pinned to 1.0."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(api.handler))
    made: list[BotApiClient] = []

    def make(**overrides: Any) -> BotApiClient:
        options: dict[str, Any] = {
            "http": http,
            "sleep": recorder.sleep,
            "on_call": recorder.on_call,
            "policy": RetryPolicy(jitter=lambda: 1.0),  # backoff waits are then the ceiling
        }
        options.update(overrides)
        made.append(BotApiClient(overrides.pop("token", TOKEN), **options))
        return made[-1]

    yield make
    for bot in made:
        await bot.aclose()
    await http.aclose()


@pytest.fixture
def client(make_client: MakeClient) -> BotApiClient:
    return make_client()
