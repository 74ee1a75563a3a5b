"""The design the aiogram payment guides teach, written as a reader of those guides would:
an aiogram 3 webhook bot on an aiohttp web app, `SimpleRequestHandler(...,
handle_in_background=False)`, a pre-checkout handler that logs the checkout in SQLite and
answers yes, and a successful-payment handler that marks the checkout completed, adds the
credits to the user's row and thanks the user. sqlite3 is opened per call, in the event loop,
in SQLite's default (rollback journal) mode, as the guides do.

Its own process: `python -m bench._guides_bot --port P --api URL --db PATH --token T
--secret S`; the Bot API is the stand-in at URL. Logging at WARNING (the guides' INFO would
write a line per update). `prepare(path, payers)` makes the tables beforehand."""

from __future__ import annotations

import argparse
import logging
import sqlite3
from collections.abc import Iterable

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message, PreCheckoutQuery
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

WEBHOOK_PATH = "/webhook"
PACKAGES = {"starter": 100}  # the invoice payload is "<package>:<order>"
DB_PATH = "bot.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (user_id INTEGER PRIMARY KEY, credits INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS checkouts (
    query_id TEXT PRIMARY KEY, payload TEXT NOT NULL, user_id INTEGER NOT NULL,
    amount INTEGER NOT NULL, status TEXT NOT NULL, charge_id TEXT);
CREATE INDEX IF NOT EXISTS checkouts_payload ON checkouts (payload);
"""

router = Router()


@router.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery) -> None:
    conn = sqlite3.connect(DB_PATH)
    conn.execute(
        "INSERT INTO checkouts (query_id, payload, user_id, amount, status)"
        " VALUES (?, ?, ?, ?, 'pending')",
        (query.id, query.invoice_payload, query.from_user.id, query.total_amount))
    conn.commit()
    conn.close()
    await query.answer(ok=True)


@router.message(F.successful_payment)
async def successful_payment(message: Message) -> None:
    payment = message.successful_payment
    assert payment is not None and message.from_user is not None
    credits = PACKAGES[payment.invoice_payload.split(":")[0]]
    conn = sqlite3.connect(DB_PATH)
    conn.execute("UPDATE checkouts SET status = 'completed', charge_id = ? WHERE payload = ?",
                 (payment.telegram_payment_charge_id, payment.invoice_payload))
    conn.execute("UPDATE users SET credits = credits + ? WHERE user_id = ?",
                 (credits, message.from_user.id))
    conn.commit()
    conn.close()
    await message.answer(f"Thank you! {credits} credits added.")


def prepare(path: str, payers: Iterable[int]) -> None:
    """The bot's tables, and a row with no credits for each payer (made when they /start)."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.executemany("INSERT OR IGNORE INTO users (user_id, credits) VALUES (?, 0)",
                     ((p,) for p in payers))
    conn.commit()
    conn.close()


def credits(path: str, payers: Iterable[int]) -> dict[int, int]:
    """The credits of each payer, as the bot's table has them."""
    wanted = list(payers)
    conn = sqlite3.connect(path)
    try:
        found = dict(conn.execute("SELECT user_id, credits FROM users").fetchall())
    finally:
        conn.close()
    return {p: found.get(p, 0) for p in wanted}


def main() -> None:
    global DB_PATH
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api", required=True, help="the Bot API base URL")
    parser.add_argument("--db", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    DB_PATH = args.db
    logging.basicConfig(level=logging.WARNING)

    session = AiohttpSession(api=TelegramAPIServer.from_base(args.api))
    bot = Bot(token=args.token, session=session)
    dp = Dispatcher()
    dp.include_router(router)

    async def on_startup(bot: Bot) -> None:
        await bot.set_webhook(f"http://127.0.0.1:{args.port}{WEBHOOK_PATH}",
                              secret_token=args.secret)

    dp.startup.register(on_startup)
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=args.secret,
                         handle_in_background=False).register(app, path=WEBHOOK_PATH)
    setup_application(app, dp, bot=bot)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
