"""The sandbox over HTTP: `/api/{method}` like pay.crypt.bot, `/_sandbox/...` to play the payer."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from starport.sandbox.cryptopay import control, page
from starport.sandbox.cryptopay.emulator import SandboxCryptoPay
from starport.sandbox.cryptopay.errors import ApiError
from starport.sandbox.cryptopay.wire import public_url, request_params

TOKEN_HEADER = "Crypto-Pay-API-Token"


def create_app(sandbox: SandboxCryptoPay | None = None) -> Starlette:
    """A Starlette app that also works mounted under a prefix (`/sandbox/cryptopay`)."""
    sandbox = sandbox or SandboxCryptoPay()

    async def api(request: Request) -> Response:
        try:
            params = await request_params(request)
            result = sandbox.handle(
                request.headers.get(TOKEN_HEADER),
                request.path_params["method"],
                params,
                public_url(request),
            )
        except ApiError as error:
            return JSONResponse(error.to_json(), status_code=error.code)
        return JSONResponse({"ok": True, "result": result})

    app = Starlette(
        routes=[
            Route("/api/{method}", api, methods=["GET", "POST"]),
            *control.routes(sandbox),
            *page.routes(sandbox),
        ]
    )
    app.state.sandbox = sandbox
    return app
