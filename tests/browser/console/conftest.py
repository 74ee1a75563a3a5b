"""Fixtures of the console's browser tests: Starport over loopback with the sandbox Telegram
and Crypto Pay, a host app receiving its events, and a browser page whose console must stay
free of errors."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from console_support import HostApp
from features.drivers.base import Package
from features.drivers.http_catalog import write_catalog
from features.drivers.http_database import sqlite_url
from features.drivers.http_server import Server, free_port, running_server
from playwright.async_api import Browser, Page
from starlette.applications import Starlette
from starlette.routing import Route

from starport.sandbox.serve import serve_app

EVENTS_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def host_app() -> HostApp:
    return HostApp()


@pytest.fixture
async def server(tmp_path: Path, host_app: HostApp) -> AsyncIterator[Server]:
    catalog = write_catalog([Package("starter", "Starter", 100, stars=50, crypto="1.5 TON")],
                            tmp_path / "catalog.toml")
    receiver = Starlette(routes=[Route("/events", host_app.endpoint, methods=["POST"])])
    async with serve_app(receiver, port=free_port()) as host, running_server(
            catalog, sqlite_url(tmp_path), starport_events_url=f"{host}/events",
            starport_events_secret=EVENTS_SECRET) as started:
        yield started


@pytest.fixture
async def page(browser: Browser, server: Server) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=server.base_url,
                                        viewport={"width": 1280, "height": 800})
    opened = await context.new_page()
    # A page the Content-Security-Policy blocks part of, a script error, a missing asset fail
    # the test (a page answered 4xx on purpose, as a refused sign-in, does not).
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" and not
              m.text.startswith("Failed to load resource") else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
              and r.request.resource_type != "document" else None)
    try:
        yield opened
    finally:
        await context.close()
    assert errors == [], errors
