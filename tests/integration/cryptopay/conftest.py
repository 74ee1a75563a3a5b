"""Fixtures: the Crypto Pay sandbox mounted as Starport mounts it, a client, a webhook receiver."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from starport.adapters.cryptopay import CryptoPayClient
from starport.sandbox.cryptopay import SandboxCryptoPay, WebhookPolicy, create_app
from starport.sandbox.serve import serve_app

TOKEN = "31337:AAintegrationTestToken"


@dataclass
class Receiver:
    """A tiny webhook endpoint: records raw bodies and headers, answers scripted statuses."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    @property
    def bodies(self) -> list[bytes]:
        return [body for _, body in self.received]


@pytest.fixture
def receiver() -> Receiver:
    """Served at `/hook` by the same server as the sandbox (one server per test is quicker)."""
    return Receiver()


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def sandbox() -> SandboxCryptoPay:
    return SandboxCryptoPay(TOKEN, webhook_policy=WebhookPolicy(retries=3, backoff=0.01))


@pytest.fixture
async def sandbox_url(sandbox: SandboxCryptoPay, receiver: Receiver) -> AsyncIterator[str]:
    """The sandbox mounted under /sandbox/cryptopay inside another app, as Starport does."""
    outer = Starlette(
        routes=[
            Mount("/sandbox/cryptopay", app=create_app(sandbox)),
            Route("/hook", receiver.endpoint, methods=["POST"]),
        ]
    )
    async with serve_app(outer) as base:
        receiver.url = f"{base}/hook"
        yield f"{base}/sandbox/cryptopay"
        await sandbox.drain()


@pytest.fixture(scope="session")
def tls() -> ssl.SSLContext:
    # One TLS context for the session: building one per httpx client costs ~50 ms a test.
    return ssl.create_default_context()


@pytest.fixture
async def client(sandbox_url: str, tls: ssl.SSLContext) -> AsyncIterator[CryptoPayClient]:
    async with httpx.AsyncClient(verify=tls) as http:
        yield CryptoPayClient(f"{sandbox_url}/api", TOKEN, http, retries=3, backoff=0.01)
