"""Fixtures: the sandbox Telegram served over loopback HTTP under a prefix, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from starport.sandbox.serve import serve_app
from starport.sandbox.telegram import (
    DEFAULT_BOT_TOKEN,
    Actor,
    DeliverySettings,
    Limits,
    SandboxTelegram,
    create_app,
)

TOKEN = DEFAULT_BOT_TOKEN
PREFIX = "/sandbox/telegram"


class BotApi:
    """What a bot does: call the Bot API over HTTP."""

    def __init__(self, client: httpx.AsyncClient, base: str, token: str = TOKEN) -> None:
        self.client, self.base, self.token = client, base, token

    async def raw(self, method: str, **kwargs: Any) -> httpx.Response:
        return await self.client.post(f"{self.base}/bot{self.token}/{method}", **kwargs)

    async def __call__(self, method: str, **params: Any) -> dict[str, Any]:
        """The reply body; checks the HTTP status equals error_code, as on Telegram."""
        response = await self.raw(method, json=params)
        body: dict[str, Any] = response.json()
        assert response.status_code == (200 if body["ok"] else body["error_code"])
        return body

    async def ok(self, method: str, **params: Any) -> Any:
        body = await self(method, **params)
        assert body["ok"], body
        return body["result"]


class Receiver:
    """A bot's webhook: records updates and headers, can fail, answers pre-checkout queries."""

    def __init__(self, api: BotApi) -> None:
        self.api = api
        self.updates: list[dict[str, Any]] = []
        self.secret_headers: list[str | None] = []
        self.fail_next = 0
        self.pre_checkout_answer: dict[str, Any] | None = {"ok": True}  # None: stay silent
        self.answers: list[dict[str, Any]] = []  # replies to answerPreCheckoutQuery
        self.reply_body: dict[str, Any] | None = None
        self.url = ""

    async def endpoint(self, request: Request) -> Response:
        update = await request.json()
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response("boom", status_code=500)
        self.updates.append(update)
        self.secret_headers.append(request.headers.get("x-telegram-bot-api-secret-token"))
        query = update.get("pre_checkout_query")
        if query is not None and self.pre_checkout_answer is not None:
            answer = await self.api(
                "answerPreCheckoutQuery", pre_checkout_query_id=query["id"],
                **self.pre_checkout_answer,
            )  # fmt: skip
            self.answers.append(answer)
        if self.reply_body is not None:
            return JSONResponse(self.reply_body)
        return Response(status_code=200)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [u[kind] for u in self.updates if kind in u]


HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """This package's async tests share one event loop, so one server serves them all."""
    marker = pytest.mark.asyncio(loop_scope="package")
    for item in items:
        if pytest_asyncio.is_async_test(item) and HERE in Path(str(item.path)).parents:
            item.add_marker(marker, append=False)


class Hooks:
    """Routes /hook to the current test's Receiver (the server outlives the tests)."""

    current: Receiver | None = None

    async def endpoint(self, request: Request) -> Response:
        assert self.current is not None, "no receiver in this test"
        return await self.current.endpoint(request)


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def served() -> AsyncIterator[tuple[SandboxTelegram, Hooks, str]]:
    """One server: the sandbox mounted under a prefix (as Starport mounts it) and a webhook."""
    sb, hooks = SandboxTelegram(), Hooks()
    outer = Starlette(
        routes=[
            Mount(PREFIX, app=create_app(sb)),
            Route("/hook", hooks.endpoint, methods=["POST"]),
        ]
    )
    async with serve_app(outer) as url:
        yield sb, hooks, url
    await sb.aclose()


@pytest_asyncio.fixture(loop_scope="package")
async def sandbox(
    served: tuple[SandboxTelegram, Hooks, str],
) -> AsyncIterator[SandboxTelegram]:
    """The served sandbox, reset; limits off, quick retries, a 2 s pre-checkout wait."""
    sb = served[0]
    sb.reset()
    sb.limits = Limits(enabled=False)
    sb.delivery = DeliverySettings(max_attempts=3, backoff_initial=0.01, backoff_max=0.05)
    sb.pre_checkout_timeout = 2.0
    yield sb
    await sb.drain()
    assert sb.result_violations == [], "the sandbox itself answered off the spec"


@pytest.fixture
def base_url(served: tuple[SandboxTelegram, Hooks, str], sandbox: SandboxTelegram) -> str:
    return served[2] + PREFIX


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        yield client


@pytest.fixture
def bot(http: httpx.AsyncClient, base_url: str) -> BotApi:
    return BotApi(http, base_url)


@pytest.fixture
def actor(sandbox: SandboxTelegram) -> Actor:
    return sandbox.actor()


@pytest_asyncio.fixture(loop_scope="package")
async def receiver(
    bot: BotApi, served: tuple[SandboxTelegram, Hooks, str]
) -> AsyncIterator[Receiver]:
    """A webhook receiver, registered with setWebhook (secret "s3cret")."""
    hooks = served[1]
    hook = Receiver(bot)
    hook.url = f"{served[2]}/hook"
    hooks.current = hook
    await bot.ok("setWebhook", url=hook.url, secret_token="s3cret")
    yield hook
    hooks.current = None
