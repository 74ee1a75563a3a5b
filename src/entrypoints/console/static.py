"""The console's stylesheet and script, served from the package (nothing from elsewhere)."""

from __future__ import annotations

from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from starport.entrypoints.console.page import SECURITY_HEADERS

TYPES = {"console.css": "text/css; charset=utf-8",
         "console.js": "text/javascript; charset=utf-8"}
FILES = {name: (files("starport.entrypoints.console") / "static" / name).read_bytes()
         for name in TYPES}


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in FILES:
        return Response("not found", 404, media_type="text/plain")
    headers = SECURITY_HEADERS | {"Cache-Control": "public, max-age=3600"}
    return Response(FILES[name], media_type=TYPES[name], headers=headers)


ROUTES = [Route("/admin/static/{name}", asset, methods=["GET"])]
