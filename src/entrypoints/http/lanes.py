"""The Telegram webhook's own lane through the application: straight to its endpoint, under
the middleware it needs (the request's log context and metrics, the body limit), past the rest.

Every update of a payment (the pre-checkout, then the payment) arrives here, so what each
request costs before and after its handler is paid twice per payment: Starlette's error and
exception middleware, the router's match, the endpoint's wrapper, and each layer's wrapper
around the response's send took about a tenth of a worker's time under bench/webhook.py
(py-spy); in process, a refused pre-checkout went from 137 to 120 microseconds of CPU.
Nothing on this route needs them: the endpoint answers its own errors (403, 400, 503),
`RequestContext` turns anything unexpected into a 500 or 503 and logs it, and no browser calls
it (no CORS). Other requests, and any other method on this path, take the
application's ordinary way."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send


class Lane:
    def __init__(self, app: ASGIApp, route: Route, middleware: list[Middleware]) -> None:
        """`app`: the application's ordinary stack; `route`: the route given a lane of its
        own; `middleware`: what wraps it there, outermost first (as Starlette's are given)."""
        self.app = app
        self.route = route
        self.path = route.path
        self.methods = route.methods or set()
        lane: ASGIApp = self._endpoint
        for cls, args, kwargs in reversed(middleware):
            lane = cls(lane, *args, **kwargs)
        self.lane = lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["path"] == self.path
                and scope["method"] in self.methods):
            scope["route"] = self.route  # as the router sets it (the metrics' route label)
            scope["endpoint"] = self.route.endpoint
            await self.lane(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.route.endpoint(Request(scope, receive, send))
        await response(scope, receive, send)
