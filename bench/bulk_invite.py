"""Bulk invite of many patrons against the sandbox Telegram with its flood limits on, served
over loopback by a process of its own (as Telegram is not in ours), Starport's throttle set to
the same limits. Prints the achieved Bot API call rate as a fraction of the allowed rate, and
the 429 answers. Run: `python -m bench.bulk_invite` (`--patrons 1000 --rate 300`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bench._util import table
from starport.adapters.sql import SqlDatabase, migrate, testing
from starport.domain.perks import Patron, PatronSource
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import build_runtime
from starport.entrypoints.jobs.registry import run_job
from starport.entrypoints.observability import configure_logging
from starport.sandbox.telegram import DEFAULT_BOT_TOKEN, Limits, SandboxTelegram, create_app

CHANNEL_ID = -1009000000001
FIRST_USER = 7_000_000_000


async def add_patrons(url: str, count: int) -> None:
    """Straight through the repositories, in transactions of 500."""
    db = SqlDatabase(url)
    now = datetime.now(UTC)
    try:
        for start in range(0, count, 500):
            async with db() as uow:
                for uid in range(FIRST_USER + start, FIRST_USER + min(count, start + 500)):
                    await uow.patrons.add(Patron(uid, str(uid), PatronSource.ADMIN, now))
                await uow.commit()
    finally:
        await db.dispose()


def sandbox_with_users(rate: float, count: int) -> SandboxTelegram:
    # Telegram's limits, but the overall rate raised: 2 calls an invite at 30/s is ~11 min.
    sandbox = SandboxTelegram(limits=Limits(global_per_second=rate, global_burst=30,
                                            per_chat_per_second=1, per_chat_burst=3))
    actor = sandbox.actor()
    actor.create_channel(CHANNEL_ID, "Patrons", bot_status="administrator")
    for uid in range(FIRST_USER, FIRST_USER + count):
        actor.create_user(uid, f"Patron {uid}", started=True)
    return sandbox


async def bench(patrons: int, rate: float, database: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        if database == "postgres":
            admin = testing.admin_url()
            if (reason := testing.unreachable(admin)) is not None:
                print(f"PostgreSQL not reachable ({reason}): skipped")
                return
            url = testing.create_database(admin, "starport_bench")
        try:
            await _run(url, patrons, rate, database)
        finally:
            if database == "postgres":
                testing.drop_database(testing.admin_url(), url)


async def _run(url: str, patrons: int, rate: float, database: str) -> None:
    migrate.upgrade(url)
    await add_patrons(url, patrons)
    port = _free_port()
    command = [sys.executable, "-m", "bench.bulk_invite", "--serve-sandbox", str(port),
               "--patrons", str(patrons), "--rate", str(rate)]
    child = subprocess.Popen(command)  # noqa: ASYNC220 (once, before the timing)
    try:
        base_url = f"http://127.0.0.1:{port}"
        await _wait_up(base_url, child)
        counts, elapsed = await _invite(url, base_url, rate)
        records = await _get(base_url, "/_sandbox/records")
    finally:
        child.terminate()
        child.wait(10)
    _report(patrons, rate, counts.counts, elapsed, records, database)


async def _invite(url: str, base_url: str, rate: float) -> tuple[Any, float]:
    config = StarportConfig(
        _env_file=None, database_url=url, starport_sandbox=False,  # type: ignore[call-arg]
        telegram_bot_token=DEFAULT_BOT_TOKEN, telegram_api_url=base_url,
        telegram_channel_id=CHANNEL_ID, telegram_rate_per_second=rate,
        telegram_chat_interval_seconds=1.0)
    runtime = build_runtime(config)
    try:
        started = time.perf_counter()
        counts = await run_job(runtime, "bulk-invite")
        if runtime.sender is not None:  # the invite messages may still be going out
            await runtime.sender.drain()
        return counts, time.perf_counter() - started
    finally:
        await runtime.aclose()


def _report(patrons: int, rate: float, counts: dict[str, int], elapsed: float,
            records: dict[str, Any], database: str) -> None:
    methods = Counter(call["method"] for call in records["calls"])
    calls = sum(methods.values())
    sent = sum(1 for call in records["calls"] if call["method"] == "sendMessage" and call["ok"])
    achieved = calls / elapsed
    print(f"bulk invite of {patrons} patrons from {database}; the sandbox Telegram in its own "
          f"process over loopback with its limits on (per chat 1/s, burst 3) but the overall "
          f"rate set from 30/s to {rate:g}/s for the bench; Starport's throttle at the same "
          f"{rate:g}/s")
    print(table([
        ("patrons invited", str(counts.get("invited", 0))),
        ("invite messages delivered", str(sent)),
        ("job counts", str(counts)),
        ("elapsed", f"{elapsed:.1f} s (the rate limit allows {calls / rate:.1f} s)"),
        ("Bot API calls", f"{calls} {dict(methods)}"),
        ("achieved call rate", f"{achieved:.0f}/s = {achieved / rate:.2f} of the allowed "
                               f"{rate:g}/s"),
        ("429 answers", str(records["stats"]["too_many_requests"])),
    ]))


def serve_sandbox(port: int, patrons: int, rate: float) -> None:
    """The child process: the sandbox with the channel and the patrons' Telegram accounts."""
    app = create_app(sandbox_with_users(rate, patrons))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def _wait_up(base_url: str, child: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        for _ in range(600):
            if child.poll() is not None:
                raise RuntimeError("the sandbox process stopped")
            try:
                await http.get(f"{base_url}/_sandbox/")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise TimeoutError("the sandbox did not start")


async def _get(base_url: str, path: str) -> Any:
    async with httpx.AsyncClient(trust_env=False, timeout=60) as http:
        return (await http.get(f"{base_url}{path}")).json()["result"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_invite", description=__doc__)
    parser.add_argument("--patrons", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0,
                        help="allowed calls per second (Telegram's is about 30)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--serve-sandbox", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sandbox:
        serve_sandbox(args.serve_sandbox, args.patrons, args.rate)
        return
    configure_logging("console", "INFO")  # the job's progress lines; not every call's
    for name in ("starport.adapters.telegram", "httpx", "starport.sandbox"):
        logging.getLogger(name).setLevel(logging.WARNING)
    asyncio.run(bench(args.patrons, args.rate, args.database))


if __name__ == "__main__":
    main()
