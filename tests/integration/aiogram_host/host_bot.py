"""A host's own aiogram 3 bot, as a host would run it: its own webhook (aiohttp, aiogram's
SimpleRequestHandler) set on the sandbox Telegram, its own handlers, and the forwarder that
hands Starport the updates it needs."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.types import Message, PreCheckoutQuery
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from tests.integration.starport_live import Live, free_port

from starport.integrations.aiogram import StarportForwarder

HOST_SECRET = "the-hosts-own-webhook-secret"
WELCOME = "Welcome to the host's own bot"


@dataclass
class Outage:
    """Starport cannot be reached for the first `times` forwards of updates holding `what`."""

    what: str
    times: int
    failed: int = 0

    def strikes(self, update: dict[str, Any]) -> bool:
        if self.failed < self.times and self.what in json.dumps(update):
            self.failed += 1
            return True
        return False


@dataclass
class HostBot:
    bot: Bot
    forwarder: StarportForwarder
    seen: list[str] = field(default_factory=list)  # texts the host's own handlers got
    own_payments: list[str] = field(default_factory=list)  # payloads of its own invoices paid
    forwarded: list[dict[str, Any]] = field(default_factory=list)  # what went to Starport


@contextlib.asynccontextmanager
async def host_bot(live: Live, starport_url: str, outage: Outage | None = None,
                   **options: Any) -> AsyncIterator[HostBot]:
    """The host's bot, on the same sandbox bot as `live` (its token), forwarding to
    `starport_url`; its webhook replaces Starport's own in the sandbox."""
    config = live.runtime.config
    forwarded: list[dict[str, Any]] = []

    async def record(request: httpx.Request) -> None:
        update = json.loads(request.content)
        forwarded.append(update)
        if outage is not None and outage.strikes(update):
            raise httpx.ConnectError("Starport is restarting", request=request)

    client = httpx.AsyncClient(event_hooks={"request": [record]}, trust_env=False)
    forwarder = StarportForwarder(starport_url, config.telegram_webhook_secret, client=client,
                                  backoff=0.05, **options)
    api = TelegramAPIServer.from_base(f"{str(live.http.base_url).rstrip('/')}/sandbox/telegram")
    assert config.telegram_bot_token is not None
    bot = Bot(config.telegram_bot_token, session=AiohttpSession(api=api))
    host = HostBot(bot, forwarder, forwarded=forwarded)

    dp = Dispatcher()
    dp.update.outer_middleware(forwarder)

    @dp.message(CommandStart())
    async def welcome(message: Message) -> None:
        host.seen.append(message.text or "")
        await message.answer(WELCOME)

    @dp.pre_checkout_query()
    async def own_checkout(query: PreCheckoutQuery) -> None:  # the host sells things of its own
        await query.answer(ok=True)

    @dp.message(F.successful_payment)
    async def own_payment(message: Message) -> None:
        assert message.successful_payment is not None
        host.own_payments.append(message.successful_payment.invoice_payload)

    @dp.message()
    async def anything(message: Message) -> None:
        host.seen.append(message.text or "")

    app = web.Application()
    # Not in the background: a forward that fails makes the webhook answer 500, and Telegram
    # delivers the update again.
    SimpleRequestHandler(dp, bot, secret_token=HOST_SECRET,
                         handle_in_background=False).register(app, path="/host/webhook")
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/host/webhook", secret_token=HOST_SECRET,
                              allowed_updates=forwarder.update_types)
        yield host
    finally:
        await live.runtime.sandbox_telegram.drain()
        await runner.cleanup()
        await bot.session.close()
        await forwarder.aclose()
        await client.aclose()
