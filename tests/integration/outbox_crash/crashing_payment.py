"""Test-only process: a payment credited with the outbox sender on (its confirmation leased to
this process at the commit), and the process dies (os._exit, as a kill would) just before the
confirmation's send. Run: python crashing_payment.py DB_URL API_URL SESSION_ID CHAT_ID"""

from __future__ import annotations

import asyncio
import os
import sys

from starport.adapters.telegram.client import BotApiClient
from starport.adapters.telegram.gateways import TelegramMessenger
from starport.application import commands as c
from starport.application.ports import OutgoingMessage
from starport.domain.money import Stars
from starport.domain.providers import Provider
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import build_runtime
from starport.sandbox.telegram.state import DEFAULT_BOT_TOKEN as TOKEN


class DyingMessenger(TelegramMessenger):
    async def send_message(self, message: OutgoingMessage) -> int:
        os._exit(1)  # committed, leased, never sent


async def main(db_url: str, api_url: str, session_id: str, chat_id: int) -> None:
    config = StarportConfig(
        _env_file=None, database_url=db_url, starport_sandbox=False,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN, telegram_api_url=api_url,
        starport_outbox_dispatch="inline")
    client = BotApiClient(TOKEN, base_url=api_url)
    runtime = build_runtime(config, messenger=DyingMessenger(client))
    await runtime.bus.handle(c.CompletePayment(
        Provider.TELEGRAM_STARS, session_id, "charge-crash-1", Stars(50), chat_id, chat_id))
    print("the sender did not run")  # never reached: the confirmation's send ends the process


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
