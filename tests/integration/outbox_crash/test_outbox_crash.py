"""Killing the outbox dispatcher (a real process, SQLite file, real Bot API client against the
sandbox Telegram) loses no message and resends only what was sent but not yet recorded (the
dispatcher sends a round of chats side by side: here the three chats are one round); a user who
blocked the bot ends their item as failed, with the reason."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from starport.adapters.sql import SqlDatabase, migrate
from starport.application.effects import OutboxItem, SendText
from starport.domain.catalog import CreditPackage
from starport.domain.money import Stars
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import build_runtime
from starport.entrypoints.jobs.registry import run_job
from starport.sandbox.serve import serve_app
from starport.sandbox.telegram import DEFAULT_BOT_TOKEN as TOKEN
from starport.sandbox.telegram import Limits, SandboxTelegram, create_app

World = tuple[str, str, SandboxTelegram]  # database URL, Bot API URL, the sandbox
SCRIPT = Path(__file__).with_name("crashing_dispatcher.py")
PAYMENT = Path(__file__).with_name("crashing_payment.py")
ROOT = Path(__file__).resolve().parents[3]
CHATS = {"first": 501, "CRASH second": 502, "third": 503}  # queued in this order
AFTER_LEASE = 600.0  # seconds: the restarted dispatcher's clock is past every lease


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """A migrated SQLite file holding three queued messages, and a sandbox Telegram."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'starport.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    db = SqlDatabase(url)
    start = datetime.now(UTC) - timedelta(seconds=10)
    async with db() as uow:
        for n, (text, chat) in enumerate(CHATS.items()):
            at = start + timedelta(seconds=n)
            await uow.outbox.add(OutboxItem.now(f"item-{chat}", chat, SendText(text), at))
        await uow.commit()
    await db.dispose()
    sandbox = SandboxTelegram(limits=Limits(enabled=False), default_token=TOKEN)
    actor = sandbox.actor()
    for chat in CHATS.values():
        actor.create_user(chat, f"User {chat}", started=True)
    async with serve_app(create_app(sandbox)) as base_url:
        yield url, base_url, sandbox


async def dispatcher(url: str, api: str, point: str, offset: float = 0.0) -> int:
    """Run the dispatcher process to its end (or its crash); its exit code."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), url, api, point, str(offset), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode in (0, 1), err.decode()[-2000:]
    return process.returncode


def delivered(sandbox: SandboxTelegram) -> dict[str, int]:
    """How many times each queued text reached its chat."""
    actor = sandbox.actor()
    return {text: [m.get("text") for m in actor.messages(chat)].count(text)
            for text, chat in CHATS.items()}


async def statuses(url: str) -> dict[int, str]:
    db = SqlDatabase(url)
    try:
        async with db() as uow:
            items = [await uow.outbox.get(f"item-{chat}") for chat in CHATS.values()]
    finally:
        await db.dispose()
    return {item.chat_id: item.status for item in items if item is not None}


async def test_a_crash_before_the_send_loses_nothing_and_sends_once(world: World) -> None:
    url, api, sandbox = world

    assert await dispatcher(url, api, "before-send") == 1
    before = delivered(sandbox)
    assert before["CRASH second"] == 0  # the others of its round may have gone out

    assert await dispatcher(url, api, "none", AFTER_LEASE) == 0
    after = delivered(sandbox)
    assert after["CRASH second"] == 1  # never sent before the crash: sent once now
    # nothing lost; only what went out unrecorded before the crash can have gone again
    assert all(1 <= after[text] <= 1 + before[text] for text in ("first", "third"))
    assert set((await statuses(url)).values()) == {"sent"}


async def test_a_crash_between_send_and_record_resends_that_item_only(world: World) -> None:
    url, api, sandbox = world

    assert await dispatcher(url, api, "after-send") == 1
    before = delivered(sandbox)
    assert before["CRASH second"] == 1  # Telegram has it; its result was never recorded

    assert await dispatcher(url, api, "none", 0.0) == 0  # at once: the leases still hold
    assert delivered(sandbox)["CRASH second"] == 1

    assert await dispatcher(url, api, "none", AFTER_LEASE) == 0
    after = delivered(sandbox)
    assert all(after[text] >= 1 for text in CHATS)  # nothing lost
    # and only what was sent unrecorded before the crash went again, at most once more
    assert all(after[text] <= 1 + before[text] for text in CHATS)
    assert set((await statuses(url)).values()) == {"sent"}


async def test_a_user_who_blocked_the_bot_ends_the_item_as_failed(world: World) -> None:
    url, api, sandbox = world
    await sandbox.actor().block_bot(CHATS["CRASH second"])
    config = StarportConfig(
        _env_file=None, database_url=url, starport_sandbox=False,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN, telegram_api_url=api)
    runtime = build_runtime(config)
    try:
        counts = await run_job(runtime, "dispatch-outbox")
        async with runtime.deps.uow() as uow:
            item = await uow.outbox.get(f"item-{CHATS['CRASH second']}")
    finally:
        await runtime.aclose()

    assert counts["sent"] == 2 and counts["failed"] == 1
    assert item is not None and item.status == "failed"
    assert item.last_error is not None and "blocked by the user" in item.last_error
    assert delivered(sandbox) == {"first": 1, "CRASH second": 0, "third": 1}


async def test_a_crash_before_a_confirmation_goes_out_leaves_it_to_the_job_once(
        world: World) -> None:
    url, api, sandbox = world
    payer = CHATS["third"]
    db = SqlDatabase(url)
    now = datetime.now(UTC)
    async with db() as uow:  # an open session of the payer's
        package = CreditPackage("starter", "Starter", 100, Stars(50))
        await uow.sessions.add(PaymentSession.open(
            session_id="crash-session", user_id="u1", package=package,
            provider=Provider.TELEGRAM_STARS, now=now, expires_at=now + timedelta(hours=1),
            telegram_user_id=payer))
        await uow.commit()
    await db.dispose()
    # Given a process that credited the payment and died before sending its confirmation
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(PAYMENT), url, api, "crash-session", str(payer), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 1, (out + err).decode()[-2000:]
    confirmations = [m for m in sandbox.actor().messages(payer)
                     if "Payment received" in str(m.get("text"))]
    assert confirmations == []
    # When the dispatch job runs while the dead process's lease still holds, it leaves it
    assert await dispatcher(url, api, "none", 0.0) == 0
    assert [m for m in sandbox.actor().messages(payer)
            if "Payment received" in str(m.get("text"))] == []
    # and once the lease has run out it sends the confirmation, once
    assert await dispatcher(url, api, "none", AFTER_LEASE) == 0
    assert await dispatcher(url, api, "none", AFTER_LEASE) == 0
    confirmations = [m for m in sandbox.actor().messages(payer)
                     if "Payment received" in str(m.get("text"))]
    assert len(confirmations) == 1
