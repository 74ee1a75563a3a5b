"""A bot against the served emulator for the fiat tests: Bot API calls, /_sandbox controls, and a
webhook that records updates and answers pre-checkout queries."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from starport.sandbox.serve import serve_app
from starport.sandbox.telegram import (
    DEFAULT_BOT_TOKEN,
    DeliverySettings,
    Limits,
    SandboxTelegram,
    create_app,
    load_spec,
)

USER = 42
PROVIDER_SECRET = "s3cr3t-Zq9xWv"  # must never come back from the emulator
PROVIDER_TOKEN = f"284685063:TEST:{PROVIDER_SECRET}"
DECLINED_CARD = "4000 0000 0000 0002"
_SPEC = load_spec()


def fiat_invoice(**overrides: Any) -> dict[str, Any]:
    """sendInvoice params: 4.99 USD (3.99 + 1.00) paid by card; None drops a param."""
    params: dict[str, Any] = {
        "chat_id": USER,
        "title": "500 credits",
        "description": "A pack of 500 credits",
        "payload": "session:fiat1",
        "provider_token": PROVIDER_TOKEN,
        "currency": "USD",
        "prices": [{"label": "500 credits", "amount": 399}, {"label": "Tax", "amount": 100}],
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def stars_invoice(**overrides: Any) -> dict[str, Any]:
    params = fiat_invoice(provider_token=None, currency="XTR", payload="session:stars1")
    params["prices"] = [{"label": "100 credits", "amount": 50}]
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


class Bot:
    """The bot: calls the Bot API and the controls over HTTP; its webhook approves pre-checkout
    queries (or refuses them with `refusal`)."""

    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self.client, self.base = client, base
        self.updates: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []  # the replies to answerPreCheckoutQuery
        self.refusal: str | None = None
        self.responses: list[Any] = []  # every JSON body the emulator answered, for leak checks

    async def __call__(self, method: str, **params: Any) -> dict[str, Any]:
        """The reply body; the HTTP status equals error_code, as on Telegram."""
        url = f"{self.base}/bot{DEFAULT_BOT_TOKEN}/{method}"
        response = await self.client.post(url, json=params)
        body: dict[str, Any] = response.json()
        self.responses.append(body)
        assert response.status_code == (200 if body["ok"] else body["error_code"])
        return body

    async def ok(self, method: str, **params: Any) -> Any:
        body = await self(method, **params)
        assert body["ok"], body
        return body["result"]

    async def control(self, path: str, body: Any = None) -> httpx.Response:
        """POST `body` to /_sandbox<path> (GET without a body)."""
        url = f"{self.base}/_sandbox{path}"
        response = await (
            self.client.get(url) if body is None else self.client.post(url, json=body)
        )
        self.responses.append(response.json())
        return response

    async def pay(self, **body: Any) -> dict[str, Any]:
        """The user pays (POST /_sandbox/users/42/pay); the PaymentOutcome as JSON."""
        response = await self.control(f"/users/{USER}/pay", body)
        reply: dict[str, Any] = response.json()
        assert response.status_code == 200 and reply["ok"], reply
        return reply["result"]  # type: ignore[no-any-return]

    async def webhook(self, request: Request) -> Response:
        update = await request.json()
        self.updates.append(update)
        query = update.get("pre_checkout_query")
        if query is not None:
            answer: dict[str, Any] = {"ok": self.refusal is None}
            if self.refusal is not None:
                answer["error_message"] = self.refusal
            reply = await self(
                "answerPreCheckoutQuery", pre_checkout_query_id=query["id"], **answer
            )
            self.answers.append(reply)
        return Response(status_code=200)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [u[kind] for u in self.updates if kind in u]

    def payments(self) -> list[dict[str, Any]]:
        return [
            m["successful_payment"] for m in self.of_kind("message") if "successful_payment" in m
        ]


@contextlib.asynccontextmanager
async def served_bot() -> AsyncIterator[tuple[SandboxTelegram, Bot]]:
    """The emulator mounted at /tg beside the bot's /hook, a user 42 who opened the bot."""
    sandbox = SandboxTelegram(
        limits=Limits(enabled=False),
        delivery=DeliverySettings(max_attempts=3, backoff_initial=0.01, backoff_max=0.05),
        pre_checkout_timeout=2.0,
        spec=_SPEC,
    )
    holder: list[Bot] = []

    async def hook(request: Request) -> Response:
        return await holder[0].webhook(request)

    routes = [Mount("/tg", app=create_app(sandbox)), Route("/hook", hook, methods=["POST"])]
    app = Starlette(routes=routes)
    async with serve_app(app) as url, httpx.AsyncClient(trust_env=False, timeout=10) as client:
        bot = Bot(client, f"{url}/tg")
        holder.append(bot)
        sandbox.actor().create_user(USER, "Ann", "ann", started=True)
        await bot.ok("setWebhook", url=f"{url}/hook")
        yield sandbox, bot
        await sandbox.drain()
    await sandbox.aclose()
