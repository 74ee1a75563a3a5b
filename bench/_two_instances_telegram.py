"""The one Bot API of `bench.two_instances`: the sandbox Telegram in a process of its own, its
flood limits on, with a tap that notes when each call arrived.

Run: `python -m bench._two_instances_telegram --port P --rate R --users FIRST:COUNT
--channel ID`. Routes: the emulator's own (`/bot<token>/<method>`, `/_sandbox/...`) and
`GET /_bench/calls`: every Bot API call received, oldest first, as
`[seconds since the first call, method, HTTP status, chat_id]`; `GET /_bench/count[?method=M]`:
how many; `GET /_bench/limits`: the limits in force and the emulator's counters.

The emulator's global bucket counts only the send* methods (sendMessage, sendInvoice, ...);
Starport's `TELEGRAM_RATE_PER_SECOND` paces every call it makes to the channel as well
(createChatInviteLink, getChatMember, ...). Here those calls take from the same global bucket
(never from a per-chat one), so the emulator enforces the rate Starport claims to keep."""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Collection, Mapping
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from starport.sandbox.telegram import DEFAULT_BOT_TOKEN, Limits, SandboxTelegram, create_app
from starport.sandbox.telegram.errors import ApiError
from starport.sandbox.telegram.spec_model import MethodSpec
from starport.sandbox.telegram.world import BotState, World

# The calls Starport's throttle paces besides the send* methods (adapters/telegram/gateways.py).
PACED_CHANNEL_METHODS = frozenset({
    "createchatinvitelink", "revokechatinvitelink", "getchatmember", "banchatmember",
    "unbanchatmember", "approvechatjoinrequest", "declinechatjoinrequest"})


class TappedTelegram(SandboxTelegram):
    """The emulator, unchanged but for the tap and the global bucket on the channel calls."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(limits=limits)
        self.tap: list[tuple[float, str, int, Any]] = []
        self._keys = itertools.count()

    async def call(self, token: str, method: str, params: Mapping[str, Any], *,
                   test: bool = False, loose: Collection[str] = ()) -> tuple[int, Any]:
        arrived = time.monotonic()
        status, body = await super().call(token, method, params, test=test, loose=loose)
        self.tap.append((arrived, method, status, params.get("chat_id")))
        return status, body

    async def _perform(self, spec: MethodSpec, bot: BotState, world: World,
                       params: Mapping[str, Any], loose: Collection[str]) -> Any:
        if spec.name.lower() in PACED_CHANNEL_METHODS:
            try:  # a key of its own: the global bucket only, no per-chat one
                bot.limiter.acquire(f"bench-global-only-{next(self._keys)}")
            except ApiError:
                self.stats.rate_limited += 1
                raise
        return await super()._perform(spec, bot, world, params, loose)


def build(rate: float, burst: float, first_user: int, users: int, channel: int) -> Starlette:
    sandbox = TappedTelegram(Limits(enabled=True, global_per_second=rate, global_burst=burst))
    actor = sandbox.actor(DEFAULT_BOT_TOKEN)
    actor.create_channel(channel, "Patrons", bot_status="administrator")
    for uid in range(first_user, first_user + users):
        actor.create_user(uid, f"User {uid}", started=True)

    async def calls(request: Request) -> JSONResponse:
        start = sandbox.tap[0][0] if sandbox.tap else 0.0
        return JSONResponse([[round(t - start, 6), m, s, c] for t, m, s, c in sandbox.tap])

    async def limits(request: Request) -> JSONResponse:
        lim = sandbox.limits
        return JSONResponse({"enabled": lim.enabled, "global_per_second": lim.global_per_second,
                             "global_burst": lim.global_burst,
                             "per_chat_per_second": lim.per_chat_per_second,
                             "per_chat_burst": lim.per_chat_burst,
                             "stats": vars(sandbox.stats)})

    async def count(request: Request) -> JSONResponse:
        method = request.query_params.get("method")
        return JSONResponse(sum(1 for c in sandbox.tap if method in (None, c[1])))

    return Starlette(routes=[Route("/_bench/calls", calls), Route("/_bench/count", count),
                             Route("/_bench/limits", limits), Mount("/", app=create_app(sandbox))])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._two_instances_telegram")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--burst", type=float, default=None, help="default: one second's worth")
    parser.add_argument("--users", default="7000000000:0", help="FIRST:COUNT")
    parser.add_argument("--channel", type=int, default=-1009000000001)
    args = parser.parse_args()
    first, count = (int(x) for x in args.users.split(":"))
    app = build(args.rate, args.burst or args.rate, first, count, args.channel)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
