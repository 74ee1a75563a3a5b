"""Test-only dispatcher process: runs the outbox dispatch job once on a SQLite file database
against a Bot API, and dies (os._exit, no clean-up, as a kill would) at a chosen point of the
message whose text contains CRASH. Run: python crashing_dispatcher.py DB_URL API_URL POINT
[CLOCK_OFFSET_SECONDS], POINT being before-send, after-send or none."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta

from starport.adapters.clock import SystemClock
from starport.adapters.telegram.client import BotApiClient
from starport.adapters.telegram.gateways import TelegramMessenger
from starport.application.ports import InvoiceRequest, OutgoingMessage
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import build_runtime
from starport.entrypoints.jobs.registry import run_job
from starport.sandbox.telegram.state import DEFAULT_BOT_TOKEN as TOKEN

MARKER = "CRASH"


class CrashingMessenger:
    """The real messenger, except that the process dies around the marked message."""

    def __init__(self, inner: TelegramMessenger, point: str) -> None:
        self._inner = inner
        self._point = point

    async def send_message(self, message: OutgoingMessage) -> int:
        crash = self._point != "none" and MARKER in message.text
        if crash and self._point == "before-send":
            os._exit(1)
        sent = await self._inner.send_message(message)
        if crash and self._point == "after-send":  # Telegram has it; the record never happens
            os._exit(1)
        return sent

    async def send_invoice(self, invoice: InvoiceRequest) -> None:
        await self._inner.send_invoice(invoice)

    async def answer_pre_checkout(self, query_id: str, error: str | None) -> None:
        await self._inner.answer_pre_checkout(query_id, error)

    async def answer_callback(self, query_id: str, text: str | None = None,
                              alert: bool = False) -> None:
        await self._inner.answer_callback(query_id, text, alert)


class ShiftedClock(SystemClock):
    """The system clock moved on, as a restart after the lease ran out would see it."""

    def __init__(self, offset: timedelta) -> None:
        self._offset = offset

    def now(self) -> datetime:
        return super().now() + self._offset


async def main(db_url: str, api_url: str, point: str, offset: float) -> None:
    config = StarportConfig(
        _env_file=None, database_url=db_url, starport_sandbox=False,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN, telegram_api_url=api_url)
    client = BotApiClient(TOKEN, base_url=api_url)
    runtime = build_runtime(config, messenger=CrashingMessenger(TelegramMessenger(client), point),
                            clock=ShiftedClock(timedelta(seconds=offset)))
    try:
        counts = await run_job(runtime, "dispatch-outbox")
        print(counts.counts)
    finally:
        await client.aclose()
        await runtime.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3],
                     float(sys.argv[4]) if len(sys.argv) > 4 else 0.0))
