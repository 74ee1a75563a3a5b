"""SandboxTelegram: the emulated Telegram, its worlds, call dispatch and the record of calls."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

import httpx

# Importing the method modules registers their handlers.
from starport.sandbox.telegram import chats, methods, payments, updates  # noqa: F401
from starport.sandbox.telegram.delivery import DeliverySettings
from starport.sandbox.telegram.errors import ApiError, RuleViolation
from starport.sandbox.telegram.models import JSON, User
from starport.sandbox.telegram.ratelimit import FaultInjector, Limits, RateLimiter
from starport.sandbox.telegram.records import Call, SpecViolation, Stats, mask
from starport.sandbox.telegram.spec import ApiSpec, load_spec
from starport.sandbox.telegram.spec_model import MethodSpec, SpecError
from starport.sandbox.telegram.webhook import UpdateHub
from starport.sandbox.telegram.world import HANDLERS, SENDING_METHODS, BotState, Ctx, World

if TYPE_CHECKING:
    from starport.sandbox.telegram.actor import Actor

log = logging.getLogger("starport.sandbox.telegram")
TOKEN_PATTERN = re.compile(r"(\d{1,20}):[A-Za-z0-9_-]{30,50}")
DEFAULT_BOT_TOKEN = "7000000001:AAE-sandbox-starport-token-000000000"


class SandboxTelegram:
    """The Bot API emulator: one production and one test world, keyed by bot token."""

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        delivery: DeliverySettings | None = None,
        pre_checkout_timeout: float = 10.0,
        default_token: str = DEFAULT_BOT_TOKEN,
        spec: ApiSpec | None = None,
    ) -> None:
        self.spec = spec or load_spec()
        self.limits = limits or Limits()
        self.delivery = delivery or DeliverySettings()
        self.pre_checkout_timeout = pre_checkout_timeout
        self.default_token = default_token
        self.faults = FaultInjector()
        self.time_offset = 0
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self.worlds: dict[bool, World] = {}
        self.reset()

    def reset(self) -> None:
        """Forget every world, record and counter (settings are kept)."""
        for hub in self.hubs():
            hub.cancel()
        self.worlds = {False: World(False), True: World(True)}
        self.calls: list[Call] = []
        self.spec_violations: list[SpecViolation] = []
        self.result_violations: list[str] = []  # the sandbox's own output off the spec
        self.stats = Stats()
        self.faults.clear()

    def now(self) -> int:
        return int(time.time()) + self.time_offset

    def advance_time(self, seconds: int) -> None:
        """Move the sandbox's clock (dates, expiries) forward."""
        self.time_offset += seconds

    def world(self, test: bool = False) -> World:
        return self.worlds[test]

    def bot(self, token: str | None = None, *, test: bool = False) -> BotState:
        """The bot of `token` (created on first use, as any well-formed token is accepted)."""
        token = token or self.default_token
        world = self.worlds[test]
        bot = world.bots.get(token)
        if bot is not None:
            return bot
        match = TOKEN_PATTERN.fullmatch(token)
        if match is None:
            raise ApiError(401, "Unauthorized")
        bot_id = int(match.group(1))
        user = User(bot_id, "Starport Sandbox Bot", f"sandbox{bot_id}_bot", is_bot=True)
        hub = UpdateHub(lambda: self.delivery, self.http_client, self._replier(token, test))
        hub.validate = self._validate_update
        bot = BotState(token, user, hub, RateLimiter(lambda: self.limits))
        world.bots[token] = bot
        return bot

    def continue_updates_after(self, update_id: int, token: str | None = None) -> None:
        """Number `token`'s next updates after `update_id`: a bot restarted with a fresh
        emulator must not see update ids it has handled before."""
        self.bot(token).hub.continue_after(update_id)

    def actor(self, token: str | None = None, *, test: bool = False) -> Actor:
        """Act as the users of `token`'s bot (see sandbox.telegram.actor.Actor)."""
        from starport.sandbox.telegram.actor import Actor

        return Actor(self, self.bot(token, test=test), self.worlds[test])

    def ctx(self, bot: BotState, world: World) -> Ctx:
        return Ctx(world, bot, self.now)

    def http_client(self) -> httpx.AsyncClient:
        """The one client that delivers updates (renewed if the event loop changed)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = httpx.AsyncClient(trust_env=False, timeout=self.delivery.timeout)
            self._client_loop = loop
        return self._client

    async def call(
        self,
        token: str,
        method: str,
        params: Mapping[str, Any],
        *,
        test: bool = False,
        loose: Collection[str] = (),
    ) -> tuple[int, JSON]:
        """Answer one Bot API call: (HTTP status, body). `loose`: params that came as strings."""
        self.stats.calls += 1
        name, recorded = method, mask(params)
        try:
            bot = self.bot(token, test=test)
            spec = self.spec.method(method)
            if spec is None:
                self.spec_violations.append(SpecViolation(method, recorded, "Not Found"))
                raise ApiError(404, "Not Found")
            name = spec.name
            result = await self._perform(spec, bot, self.worlds[test], params, loose)
        except ApiError as exc:
            self._count_error(name, recorded, exc)
            return exc.code, exc.to_json()
        self.calls.append(Call(name, recorded, True, None))
        return 200, {"ok": True, "result": result}

    async def _perform(
        self,
        spec: MethodSpec,
        bot: BotState,
        world: World,
        params: Mapping[str, Any],
        loose: Collection[str],
    ) -> Any:
        try:
            checked = self.spec.validate_params(spec, params, loose=loose)
        except SpecError as exc:
            self.spec_violations.append(SpecViolation(spec.name, mask(params), exc.description))
            raise ApiError(400, exc.description) from None
        fault = self.faults.take(spec.name)
        if fault is not None:
            self.stats.injected_faults += 1
            raise fault
        if spec.name.lower() in SENDING_METHODS:
            try:
                bot.limiter.acquire(str(checked.get("chat_id")))
            except ApiError:
                self.stats.rate_limited += 1
                raise
        handle = HANDLERS.get(spec.name.lower())
        if handle is None:
            if spec.returns != ("Boolean",):
                raise ApiError(501, f"Not Implemented: the sandbox does not emulate {spec.name}")
            return True  # a harmless setting (setMyDescription, sendChatAction...): accepted
        result = await handle(self.ctx(bot, world), checked)
        try:
            self.spec.check(spec.returns, result, "result")
        except SpecError as exc:
            self.result_violations.append(f"{spec.name}: {exc}")
        return result

    def _count_error(self, name: str, recorded: dict[str, Any], exc: ApiError) -> None:
        self.stats.errors += 1
        if exc.code == 429:
            self.stats.too_many_requests += 1
        if isinstance(exc, RuleViolation):
            self.spec_violations.append(SpecViolation(name, recorded, exc.description))
        self.calls.append(Call(name, recorded, False, exc.description))
        log.debug("%s -> %s %s", name, exc.code, exc.description)

    def _validate_update(self, update: JSON) -> None:
        try:
            self.spec.check_object("Update", update)
        except SpecError as exc:
            self.result_violations.append(f"update: {exc}")

    def _replier(self, token: str, test: bool) -> Callable[[JSON], Awaitable[None]]:
        async def reply(body: JSON) -> None:
            params = {k: v for k, v in body.items() if k != "method"}
            await self.call(token, str(body["method"]), params, test=test)

        return reply

    def hubs(self) -> list[UpdateHub]:
        return [bot.hub for world in self.worlds.values() for bot in world.bots.values()]

    async def drain(self) -> None:
        """Wait until every update in flight was delivered or given up."""
        for hub in self.hubs():
            await hub.drain()

    async def aclose(self) -> None:
        """Stop deliveries and close the HTTP client (call on shutdown when mounted)."""
        for hub in self.hubs():
            hub.cancel()
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None
