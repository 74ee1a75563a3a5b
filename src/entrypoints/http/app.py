"""The Starlette application: webhooks, REST, admin and operator routes, and the operator
console (/admin), over one Runtime."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from starport.entrypoints.http import (
    admin,
    back_office,
    cryptopay_webhook,
    events,
    mini_app,
    ops,
    patrons,
    payments,
    support,
    telegram_webhook,
    users,
)
from starport.entrypoints.http.body_limit import BodyLimit
from starport.entrypoints.http.errors import EXCEPTION_HANDLERS
from starport.entrypoints.http.lanes import Lane
from starport.entrypoints.http.middleware import RequestContext
from starport.entrypoints.observability import Metrics
from starport.entrypoints.runtime import Runtime


def create_app(runtime: Runtime, metrics: Metrics | None = None) -> Starlette:
    """Serve `runtime`. Metrics: the container's (whose `record_bot_api_call` it gave the
    Telegram client), else a fresh registry of this app's own. Shutdown closes the runtime."""
    metrics = metrics or Metrics()
    metrics.attach(runtime.bus, runtime.database)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await runtime.start()
            yield
        finally:
            await runtime.aclose()

    # The console builds on this package (its auth, inputs, schemas): imported once it is whole.
    from starport.entrypoints.console.routes import ROUTES as CONSOLE_ROUTES

    routes: list[BaseRoute] = [
        *telegram_webhook.ROUTES, *cryptopay_webhook.ROUTES, *payments.ROUTES, *users.ROUTES,
        *admin.ROUTES, *events.ROUTES, *back_office.ROUTES, *support.ROUTES, *patrons.ROUTES,
        *ops.ROUTES, *mini_app.ROUTES, *mini_app.sandbox_routes(runtime), *CONSOLE_ROUTES,
        *sandbox_mounts(runtime),
    ]
    edge = [Middleware(RequestContext, metrics=metrics),
            Middleware(BodyLimit, max_bytes=runtime.config.starport_max_body_bytes)]
    app = StarportApp(
        lane=next(r for r in telegram_webhook.ROUTES if isinstance(r, Route)), edge=edge,
        routes=routes,
        middleware=[*cors(runtime.config.cors_origins), *edge],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # an API answers 404, not a redirect, for `/x/`
    app.state.runtime = runtime
    app.state.metrics = metrics
    return app


class StarportApp(Starlette):
    """Starlette, with a route's lane ahead of its middleware (`lanes.py`): that route under
    `edge` only, the middleware every request passes."""

    def __init__(self, *, lane: Route, edge: list[Middleware], **kwargs: Any) -> None:
        self._lane_route, self._edge = lane, edge
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return Lane(super().build_middleware_stack(), self._lane_route, self._edge)


def cors(origins: list[str]) -> list[Middleware]:
    """STARPORT_CORS_ORIGINS may call the API from a browser (a Mini App on its own origin);
    none: no CORS headers at all. Outermost, so a preflight never reaches authentication."""
    if not origins:
        return []
    return [Middleware(CORSMiddleware, allow_origins=origins,
                       allow_methods=["GET", "POST", "DELETE"],
                       allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                       expose_headers=["Location", "Idempotent-Replayed"], max_age=600)]


def sandbox_mounts(runtime: Runtime) -> list[Mount]:
    """The emulated Telegram and Crypto Pay under /sandbox, when the runtime carries them
    (as ASGI apps, or as the sandbox objects those apps are built from)."""
    mounts = []
    for name, attribute in (("telegram", runtime.sandbox_telegram),
                            ("cryptopay", runtime.sandbox_cryptopay)):
        app = _as_app(name, attribute)
        if app is not None:
            mounts.append(Mount(f"/sandbox/{name}", app=app))
    return mounts


def _as_app(name: str, sandbox: Any) -> Any:
    if sandbox is None or isinstance(sandbox, Starlette):
        return sandbox
    # Imported only when a sandbox is on: production never loads the emulators.
    if name == "telegram":
        from starport.sandbox.telegram import create_app as telegram_app

        return telegram_app(sandbox)
    from starport.sandbox.cryptopay import create_app as cryptopay_app

    return cryptopay_app(sandbox)
