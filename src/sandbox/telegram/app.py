"""The Starlette app: /bot<token>/<method>, /bot<token>/test/<method>, and /_sandbox controls."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from starport.sandbox.telegram.control import control_routes
from starport.sandbox.telegram.records import Call
from starport.sandbox.telegram.spec_model import UploadedFile
from starport.sandbox.telegram.state import SandboxTelegram


class BodyError(ValueError):
    """The request body cannot be read as JSON, a form or multipart."""


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BodyError("can't parse multipart/form-data")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        content = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        fields[name] = UploadedFile(filename, content) if filename else content.decode()
    return fields


async def read_params(request: Request) -> tuple[dict[str, Any], set[str]]:
    """Params from the query string and the body (JSON, form or multipart), as Telegram takes
    them; the second item names the params that arrived as strings (to be coerced)."""
    params: dict[str, Any] = dict(request.query_params)
    loose = set(params)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return params, loose
    if kind == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        return params | form, loose | set(form)
    if kind == "multipart/form-data":
        fields = _multipart(content_type, body)
        return params | fields, loose | {k for k, v in fields.items() if isinstance(v, str)}
    try:
        data = json.loads(body)
    except ValueError:
        raise BodyError("can't parse JSON object") from None
    if not isinstance(data, dict):
        raise BodyError("can't parse JSON object")
    return params | data, loose - set(data)


def _bot_api(sandbox: SandboxTelegram, *, test: bool) -> Any:
    async def endpoint(request: Request) -> Response:
        token, method = request.path_params["token"], request.path_params["method"]
        try:
            params, loose = await read_params(request)
        except BodyError as exc:
            description = f"Bad Request: {exc}"
            sandbox.calls.append(Call(method, {}, False, description))
            body = {"ok": False, "error_code": 400, "description": description}
            return JSONResponse(body, status_code=400)
        status, body = await sandbox.call(token, method, params, test=test, loose=loose)
        return JSONResponse(body, status_code=status)

    return endpoint


def create_app(sandbox: SandboxTelegram | None = None) -> Starlette:
    """The emulator as an ASGI app; mount it anywhere (e.g. at /sandbox/telegram): the Bot API
    base URL is then that prefix. `app.state.sandbox` is the SandboxTelegram it serves."""
    sandbox = sandbox or SandboxTelegram()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await sandbox.aclose()

    methods = ["GET", "POST"]
    routes = [
        Route("/bot{token}/test/{method}", _bot_api(sandbox, test=True), methods=methods),
        Route("/bot{token}/{method}", _bot_api(sandbox, test=False), methods=methods),
        Mount("/_sandbox", routes=control_routes(sandbox)),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = sandbox
    return app
