"""`starport serve` as operators run it: a real process, its flags, and its workers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from features.drivers.http_database import sqlite_url

CLI = [sys.executable, "-m", "starport.entrypoints.cli"]  # `starport`, from this checkout

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-cli-secret_0123456789"
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "pkg"), str(ROOT)]),
            "DATABASE_URL": database_url, "STARPORT_SANDBOX": "false",
            "TELEGRAM_BOT_TOKEN": "7000000001:AAserveCliTestTokenNotReal0000000",
            "TELEGRAM_API_URL": "http://127.0.0.1:9", "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "STARPORT_PORT": "1", "STARPORT_LOG_LEVEL": "WARNING"}


@asynccontextmanager
async def serving(env: dict[str, str], *flags: str) -> AsyncIterator[httpx.AsyncClient]:
    """`starport serve FLAGS` until it answers /healthz; stopped (SIGTERM) on leaving."""
    port = free_port()
    process = subprocess.Popen(  # noqa: ASYNC220 - a server that runs beside the test
        [*CLI, "serve", "--no-jobs", "--host", "127.0.0.1",
         "--port", str(port), *flags], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(150):
                assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            yield client
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


async def pre_checkout(client: httpx.AsyncClient, update_id: int) -> httpx.Response:
    update = {"update_id": update_id, "pre_checkout_query": {
        "id": f"q{update_id}", "from": {"id": 5, "is_bot": False, "first_name": "A"},
        "currency": "XTR", "total_amount": 50, "invoice_payload": "no-such-session"}}
    return await client.post("/api/telegram/webhook", content=json.dumps(update),
                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})


async def test_host_and_port_flags_win_over_the_environment(tmp_path: Path) -> None:
    async with serving(environment(sqlite_url(tmp_path))) as client:  # STARPORT_PORT=1 ignored
        response = await pre_checkout(client, 1)
    assert response.status_code == 200
    assert response.json()["method"] == "answerPreCheckoutQuery"
    assert response.json()["ok"] is False  # an unknown session: refused, in the response


async def test_sqlite_refuses_several_workers_and_says_why(tmp_path: Path) -> None:
    done = await asyncio.to_thread(
        subprocess.run, [*CLI, "serve", "--workers", "2"],
        env=environment(sqlite_url(tmp_path)), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--workers needs PostgreSQL" in done.stderr
    assert "one writer at a time" in done.stderr


@pytest.mark.postgres
async def test_postgresql_serves_with_several_workers(e2e_postgres_url: str) -> None:
    async with serving(environment(e2e_postgres_url), "--workers", "2") as client:
        answers = await asyncio.gather(*(pre_checkout(client, n) for n in range(1, 41)))
        # each worker has a registry of its own. Connections kept open one after another go
        # to the worker serving fewer, so both are reached once their counts are level.
        fresh: list[httpx.AsyncClient] = []
        workers = set()
        try:
            while len(workers) < 2 and len(fresh) < 60:
                fresh.append(httpx.AsyncClient(base_url=client.base_url, timeout=10))
                text = (await fresh[-1].get("/metrics")).text
                workers |= {line for line in text.splitlines()
                            if line.startswith("starport_pre_checkout_seconds_created")}
        finally:
            for c in fresh:
                await c.aclose()
    assert all(a.status_code == 200 and a.json()["ok"] is False for a in answers)
    assert len(workers) == 2


@pytest.mark.postgres
async def test_workers_share_long_lived_connections_evenly_and_stop_together(
        e2e_postgres_url: str) -> None:
    """The parent hands each connection to the worker serving the fewest: 16 opened together
    and kept open, as Telegram keeps its webhook connections, split 8 and 8 (within one: the
    client that waited for /healthz may still hold one). SIGTERM to the parent stops every
    worker."""
    env = environment(e2e_postgres_url)
    async with serving(env, "--workers", "2") as client:
        port = client.base_url.port
        parent = next(p for p in _serving_parents() if f"--port {port}" in p[1])[0]
        children = _children(parent)  # the workers, and multiprocessing's resource tracker
        assert len([c for c in children if "spawn_main" in _cmdline(c)]) == 2
        clients = [httpx.AsyncClient(base_url=str(client.base_url), timeout=10)
                   for _ in range(16)]
        try:  # 16 connections at once, then one request on each (all kept open)
            pages = await asyncio.gather(*(c.get("/metrics") for c in clients))
        finally:
            for c in clients:
                await c.aclose()
        served: dict[str, int] = {}
        for page in pages:
            (created,) = [line for line in page.text.splitlines()
                          if line.startswith("starport_pre_checkout_seconds_created")]
            served[created] = served.get(created, 0) + 1
        assert sorted(served.values()) in ([8, 8], [7, 9])
        os.kill(parent, 15)
        for _ in range(150):
            if not any(_alive(pid) for pid in [parent, *children]):
                break
            await asyncio.sleep(0.1)
        assert not any(_alive(pid) for pid in [parent, *children])


@pytest.mark.postgres
async def test_workers_whose_parent_is_killed_stop(e2e_postgres_url: str) -> None:
    """No worker outlives its parent: the end of file on the parent's socket stops it, as
    SIGTERM would (each finishing what it serves)."""
    async with serving(environment(e2e_postgres_url), "--workers", "2") as client:
        port = client.base_url.port
        parent = next(p for p in _serving_parents() if f"--port {port}" in p[1])[0]
        workers = [c for c in _children(parent) if "spawn_main" in _cmdline(c)]
        assert len(workers) == 2
        os.kill(parent, 9)
        for _ in range(150):
            if not any(_alive(pid) for pid in workers):
                break
            await asyncio.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)


def _serving_parents() -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "starport.entrypoints.cli serve" in line:
                found.append((int(entry.name), line))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_idle_and_slow_connections_neither_stop_requests_nor_stay(tmp_path: Path) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    env = environment(sqlite_url(tmp_path)) | {"STARPORT_HEADER_TIMEOUT_SECONDS": "1"}
    async with serving(env) as client:
        port = client.base_url.port
        # Given 1,100 connections that send nothing, and one that sends its head slowly
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(1100)]
        slow_reader, slow = await asyncio.open_connection("127.0.0.1", port)
        slow.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        # Then a normal request is served meanwhile
        assert (await client.get("/healthz")).status_code == 200
        # and past the head deadline the server has closed every one of them
        await asyncio.sleep(1.5)
        closed = 0
        for reader, writer in [*idle, (slow_reader, slow)]:
            try:
                if await asyncio.wait_for(reader.read(1), 5) == b"":
                    closed += 1
            except ConnectionError:
                closed += 1
            writer.close()
        assert closed == 1101
        assert (await client.get("/healthz")).status_code == 200


async def test_past_the_connection_cap_the_longest_silent_connections_make_room(
        tmp_path: Path) -> None:
    env = environment(sqlite_url(tmp_path)) | {"STARPORT_HEADER_TIMEOUT_SECONDS": "60",
                                               "STARPORT_MAX_CONNECTIONS": "100"}
    async with serving(env) as client:
        port = client.base_url.port
        # Given three times the cap of connections that send nothing (the deadline is far)
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(300)]
        # Then a new request is still served, not refused
        async with httpx.AsyncClient(base_url=str(client.base_url), timeout=10) as fresh:
            assert (await fresh.get("/healthz")).status_code == 200
        # because the oldest silent ones were closed to make room: the descriptors stay bounded
        closed = []
        for n, (reader, writer) in enumerate(idle):
            try:
                if await asyncio.wait_for(reader.read(1), 0.2) == b"":
                    closed.append(n)
            except ConnectionError:
                closed.append(n)
            except TimeoutError:
                pass
            writer.close()
        assert len(closed) >= 200
        assert closed[:10] == list(range(10))  # the oldest first
        assert 299 not in closed  # the newest stayed


async def test_a_body_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    env = environment(sqlite_url(tmp_path)) | {"STARPORT_MAX_BODY_BYTES": "4096"}
    async with serving(env) as client:
        response = await client.post("/api/telegram/webhook", content=b"x" * 5000,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
