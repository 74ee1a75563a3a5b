"""The host app's patron routes (server token only): mark a patron, end a patronage."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from starport.entrypoints.http import admin
from starport.entrypoints.http.auth import authenticate
from starport.entrypoints.http.errors import ApiError


def _server_only(request: Request) -> str:
    caller = authenticate(request)
    if caller.is_mini_app:  # a Mini App user cannot make themself a patron
        raise ApiError(403, "forbidden", "only the host app's server may manage patrons")
    return "host_app"


async def make_patron(request: Request) -> Response:
    return await admin.make_patron(request, _server_only(request))


async def end_patron(request: Request) -> Response:
    return JSONResponse(await admin.end_patron(request, _server_only(request)))


ROUTES = [
    Route("/api/patrons", make_patron, methods=["POST"]),
    Route("/api/patrons/{telegram_user_id}", end_patron, methods=["DELETE"]),
]
