"""The example Mini App at /miniapp/, and in the sandbox the stand-in for Telegram's WebApp
that lets the page run in a plain browser (its initData minted by this server)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, StrictInt
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from starport.entrypoints.config import SANDBOX_BOT_TOKEN
from starport.entrypoints.http.auth import runtime_of
from starport.entrypoints.http.errors import parse_body
from starport.entrypoints.http.initdata import sign_init_data
from starport.entrypoints.http.inputs import Text
from starport.entrypoints.http.schemas import Body
from starport.entrypoints.runtime import Runtime

HERE = Path(__file__).resolve().parent
PAGE = HERE / "miniapp"
STAND_IN = HERE / "miniapp_sandbox"


class SandboxUserBody(Body):
    id: StrictInt = Field(gt=0, le=2**53 - 1)  # a JavaScript number stays exact
    first_name: Text = Field(default="Sandbox", min_length=1, max_length=64)


async def _to_page(request: Request) -> Response:
    query = request.url.query
    return RedirectResponse(f"/miniapp/?{query}" if query else "/miniapp/", status_code=308)


async def _mint_init_data(request: Request) -> Response:
    """initData for a sandbox user, signed with the sandbox bot's token, as Telegram would give
    it to a Mini App that user opened."""
    runtime = runtime_of(request)
    body = await parse_body(request, SandboxUserBody)
    now = int(runtime.deps.clock.now().timestamp())
    user = {"id": body.id, "first_name": body.first_name, "language_code": "en"}
    fields = {"auth_date": str(now), "query_id": f"sandbox-{body.id}-{now}",
              "user": json.dumps(user, separators=(",", ":"))}
    init_data = sign_init_data(runtime.config.telegram_bot_token or "", fields)
    return JSONResponse({"initData": init_data, "user": user})


ROUTES: list[BaseRoute] = [
    Route("/miniapp", _to_page, methods=["GET"]),
    Mount("/miniapp", app=StaticFiles(directory=PAGE, html=True), name="miniapp"),
]


def sandbox_routes(runtime: Runtime) -> list[BaseRoute]:
    """The stand-in and its initData, only against the emulated Telegram with the sandbox's own
    bot token: with any other token (even STARPORT_SANDBOX=true beside a real one) minting
    would forge logins to that bot's Mini Apps, so these routes do not exist."""
    config = runtime.config
    if runtime.sandbox_telegram is None or config.telegram_bot_token != SANDBOX_BOT_TOKEN:
        return []
    return [
        Route("/sandbox/miniapp/init-data", _mint_init_data, methods=["POST"]),
        Mount("/sandbox/miniapp", app=StaticFiles(directory=STAND_IN), name="miniapp-sandbox"),
    ]
