"""Fixtures: the sandbox Telegram over loopback HTTP (under a path prefix) and a client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from tg_client_sandbox_helpers import Sleeps

from starport.adapters.telegram import BotApiClient
from starport.sandbox.serve import serve_app
from starport.sandbox.telegram import DEFAULT_BOT_TOKEN, Actor, Limits, SandboxTelegram, create_app

PREFIX = "/sandbox/telegram"


@pytest.fixture
def sandbox() -> SandboxTelegram:
    return SandboxTelegram(limits=Limits(enabled=False), pre_checkout_timeout=5.0)


@pytest.fixture
async def base_url(sandbox: SandboxTelegram) -> AsyncIterator[str]:
    """The Bot API base URL: the sandbox mounted at /sandbox/telegram, as `make run` does."""
    app = Starlette(routes=[Mount(PREFIX, app=create_app(sandbox))])
    async with serve_app(app) as root:
        yield root + PREFIX
    await sandbox.aclose()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def outcomes() -> list[tuple[str, str]]:
    return []


@pytest.fixture
async def bot(
    base_url: str, sleeps: Sleeps, outcomes: list[tuple[str, str]]
) -> AsyncIterator[BotApiClient]:
    def on_call(method: str, outcome: str, seconds: float) -> None:
        outcomes.append((method, outcome))

    async with BotApiClient(
        DEFAULT_BOT_TOKEN, base_url=base_url, sleep=sleeps, on_call=on_call
    ) as client:
        yield client


@pytest.fixture
def actor(sandbox: SandboxTelegram) -> Actor:
    return sandbox.actor()


@pytest.fixture(autouse=True)
def _no_spec_violation(sandbox: SandboxTelegram) -> Iterator[None]:
    """Every call the client made must fit the Bot API spec (api.json)."""
    yield
    assert sandbox.spec_violations == []
