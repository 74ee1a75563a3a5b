"""A PostgreSQL that hangs (accepts, never answers): with the connect and statement timeouts a
request fails with a 503 the client may retry, instead of hanging as long as the database does;
once the database answers again, so does Starport."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import httpx
import pytest
from freezable_proxy import FreezableProxy
from sqlalchemy import text
from sqlalchemy.engine import make_url
from tests.integration.starport_live import SERVER, live_starport

from starport.adapters.sql import SqlDatabase
from starport.entrypoints.failures import database_unavailable

pytestmark = pytest.mark.postgres
HANG_GUARD = 30  # seconds: without the timeouts these calls would wait for ever


async def healthy(http: httpx.AsyncClient) -> None:
    for _ in range(HANG_GUARD * 5):
        if (await http.get("/healthz")).status_code == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("Starport did not become healthy again")


async def failure_of(call: Awaitable[object]) -> BaseException:
    """What the call raised; a failure of the test if it hung past the guard or succeeded."""
    guard = asyncio.timeout(HANG_GUARD)
    try:
        async with guard:
            await call
    except Exception as exc:
        assert not guard.expired(), f"no timeout fired in {HANG_GUARD} s"
        return exc
    raise AssertionError("the call succeeded on a frozen database")


def through(url: str, proxy: FreezableProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False)


async def test_a_statement_on_a_hung_database_fails_as_unavailable(live_pg_url: str) -> None:
    port = make_url(live_pg_url).port or 5432
    async with FreezableProxy(port).running() as proxy:
        db = SqlDatabase(through(live_pg_url, proxy), connect_timeout=1, statement_timeout=1)
        try:
            async with db.connection(db.engine) as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar() == 1
                proxy.freeze()
                failed = await failure_of(conn.execute(text("SELECT 2")))
            assert database_unavailable(failed), repr(failed)
            failed = await failure_of(db.ping())  # a new connection cannot be made either
            assert database_unavailable(failed), repr(failed)
            proxy.thaw()
            async with db.connection(db.engine) as conn:
                assert (await conn.execute(text("SELECT 4"))).scalar() == 4
        finally:
            await db.dispose()


async def test_the_api_answers_503_while_the_database_hangs_then_recovers(
        live_pg_url: str) -> None:
    port = make_url(live_pg_url).port or 5432
    async with FreezableProxy(port).running() as proxy, live_starport(
            through(live_pg_url, proxy), starport_db_connect_timeout_seconds=1,
            starport_db_statement_timeout_seconds=1) as live:
        assert (await live.http.get("/api/users/u1/balance", headers=SERVER)).status_code == 200
        proxy.freeze()
        async with asyncio.timeout(HANG_GUARD):
            balance = await live.http.get("/api/users/u1/balance", headers=SERVER)
            session = await live.create_session("u1")
            health = await live.http.get("/healthz")
        assert (balance.status_code, balance.json()["error"]["code"]) == (503, "unavailable")
        assert balance.headers["retry-after"] == "1"
        assert session.status_code == 503
        assert health.status_code == 503
        proxy.thaw()
        async with asyncio.timeout(HANG_GUARD):
            await healthy(live.http)
        assert (await live.create_session("u1")).status_code == 201
