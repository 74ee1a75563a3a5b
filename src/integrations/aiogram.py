"""Beside an aiogram 3 bot: an outer middleware that forwards the updates Starport handles to
Starport's webhook, performs the pre-checkout answer Starport gives through the host's Bot, and
lets every other update through to the host's handlers untouched.

    starport = StarportForwarder("https://pay.example.com", secret=STARPORT_WEBHOOK_SECRET)
    dp.update.outer_middleware(starport)
    dp.shutdown.register(starport.aclose)

Starport itself runs with the same bot token, STARPORT_BOT_MODE=payments and
TELEGRAM_WEBHOOK_SECRET set to the same secret (and never sets the webhook). Only this module
imports aiogram: the host's bot has it, Starport does not need it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from enum import StrEnum
from typing import Any

import httpx
from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerPreCheckoutQuery
from aiogram.types import Message, TelegramObject, Update

log = logging.getLogger("starport.integrations.aiogram")
WEBHOOK_PATH = "/api/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram waits 10 s for the pre-checkout answer. Starport answers within 5 s whatever happens
# (refusing when it is itself late), so 6 s lets its answer arrive and leaves ours 4 s to go.
PRE_CHECKOUT_TIMEOUT = 6.0
UNAVAILABLE = "Payments are unavailable for a moment. Please try again shortly."


class Forward(StrEnum):
    """The updates Starport can take from the host's bot."""

    PRE_CHECKOUT = "pre_checkout_query"
    SUCCESSFUL_PAYMENT = "successful_payment"
    REFUNDED_PAYMENT = "refunded_payment"
    PAY_LINK = "pay_link"  # `/start pay_<session>`: a session's deep link
    ACCOUNT_LINK = "account_link"  # `/start link_<token>`: a link to the host's user
    CHAT_MEMBER = "chat_member"  # perks: who joins and leaves the patrons' channel
    JOIN_REQUEST = "chat_join_request"  # perks: requests to join it


PAYMENTS = frozenset({Forward.PRE_CHECKOUT, Forward.SUCCESSFUL_PAYMENT, Forward.REFUNDED_PAYMENT,
                      Forward.PAY_LINK, Forward.ACCOUNT_LINK})
PERKS = frozenset({Forward.CHAT_MEMBER, Forward.JOIN_REQUEST})
_NOT_IN_A_MESSAGE = {Forward.PRE_CHECKOUT: "pre_checkout_query",
                     Forward.CHAT_MEMBER: "chat_member",
                     Forward.JOIN_REQUEST: "chat_join_request"}


class StarportUnreachable(Exception):
    """Starport did not take an update it needs. Raised out of the middleware so that a
    webhook served with `handle_in_background=False` answers 500 and Telegram delivers the
    update again."""


def forwarded_kind(update: Update) -> Forward | None:
    """What Starport would make of the update; None for what belongs to the host's bot."""
    if update.pre_checkout_query is not None:
        return Forward.PRE_CHECKOUT
    if update.chat_member is not None:
        return Forward.CHAT_MEMBER
    if update.chat_join_request is not None:
        return Forward.JOIN_REQUEST
    message = update.message
    if message is None:
        return None
    if message.successful_payment is not None:
        return Forward.SUCCESSFUL_PAYMENT
    # By name: an aiogram older than the field keeps it as an extra attribute all the same.
    if getattr(message, "refunded_payment", None) is not None:
        return Forward.REFUNDED_PAYMENT
    return _deep_link(message)


def invoice_payload(update: Update) -> str | None:
    """The invoice payload a payment update is about (Starport's invoices carry a session id)."""
    if update.pre_checkout_query is not None:
        return update.pre_checkout_query.invoice_payload
    message = update.message
    if message is None:
        return None
    paid = message.successful_payment or getattr(message, "refunded_payment", None)
    payload = getattr(paid, "invoice_payload", None)
    return payload if isinstance(payload, str) else None


def _deep_link(message: Message) -> Forward | None:
    """`/start pay_...` and `/start link_...` in a private chat: the only commands Starport
    answers beside a bot of the host's own."""
    if message.chat.type != "private" or not message.text:
        return None
    head, _, argument = message.text.strip().partition(" ")
    if head.partition("@")[0].lower() != "/start":
        return None
    argument = argument.strip()
    if argument.startswith("pay_"):
        return Forward.PAY_LINK
    if argument.startswith("link_"):
        return Forward.ACCOUNT_LINK
    return None


class StarportForwarder(BaseMiddleware):
    """An outer middleware for `dp.update`. `updates` chooses what is forwarded (PAYMENTS by
    default; `PAYMENTS | PERKS` for a patrons' channel); a forwarded update is consumed (the
    host's handlers do not see it) unless `consume=False`. A bot that sends invoices of its own
    too tells them apart with `is_starport_payload`: a payment whose invoice payload it refuses
    stays with the host's handlers.

    A pre-checkout query is answered whatever happens: with Starport's answer, or, when Starport
    does not answer within `pre_checkout_timeout` seconds, with ok=False and
    `unavailable_message` (the buyer can try again; nothing was charged). Any other forward is
    tried `attempts` times with exponential backoff from `backoff` seconds, then logged at
    CRITICAL with the update's JSON and raised as StarportUnreachable."""

    def __init__(self, starport_url: str, secret: str | None, *,
                 updates: Collection[Forward] = PAYMENTS, consume: bool = True,
                 pre_checkout_timeout: float = PRE_CHECKOUT_TIMEOUT, attempts: int = 3,
                 backoff: float = 0.5, unavailable_message: str = UNAVAILABLE,
                 is_starport_payload: Callable[[str], bool] | None = None,
                 client: httpx.AsyncClient | None = None) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = starport_url.rstrip("/") + WEBHOOK_PATH
        self.updates = frozenset(updates)
        self.consume = consume
        self.pre_checkout_timeout = pre_checkout_timeout
        self.attempts = attempts
        self.backoff = backoff
        self.unavailable_message = unavailable_message
        self.is_starport_payload = is_starport_payload
        self._headers = {"Content-Type": "application/json"}
        if secret:
            self._headers[SECRET_HEADER] = secret
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=10.0)

    @property
    def update_types(self) -> list[str]:
        """The update types Telegram must send for what is forwarded: add them to the host's
        `allowed_updates` (Telegram sends `chat_member` only when asked for by name)."""
        return sorted({_NOT_IN_A_MESSAGE.get(kind, "message") for kind in self.updates})

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        kind = forwarded_kind(event)
        if kind is None or kind not in self.updates or not self._starports(event):
            return await handler(event, data)
        bot: Bot = data["bot"]
        if kind is Forward.PRE_CHECKOUT:
            await self._pre_checkout(bot, event)
        else:
            await self._forward(event, kind)
        return None if self.consume else await handler(event, data)

    def _starports(self, update: Update) -> bool:
        """Not a payment of the host's own invoices (when the host says which are Starport's)."""
        payload = invoice_payload(update)
        if payload is None or self.is_starport_payload is None:
            return True
        return self.is_starport_payload(payload)

    async def _pre_checkout(self, bot: Bot, update: Update) -> None:
        query = update.pre_checkout_query
        assert query is not None
        answer = AnswerPreCheckoutQuery(pre_checkout_query_id=query.id, ok=False,
                                        error_message=self.unavailable_message)
        try:
            async with asyncio.timeout(self.pre_checkout_timeout):
                body = await self._post(update, Forward.PRE_CHECKOUT)
        except (StarportUnreachable, TimeoutError) as exc:
            log.error("pre-checkout %s refused: no answer from Starport (%s)", query.id,
                      exc or f"over {self.pre_checkout_timeout} s")
        else:
            if body.get("method") == "answerPreCheckoutQuery":
                answer = AnswerPreCheckoutQuery.model_validate(
                    {k: v for k, v in body.items() if k != "method"})
            else:
                log.error("pre-checkout %s refused: Starport's response holds no answer (%s)",
                          query.id, body)
        try:
            await bot(answer)
        except TelegramAPIError as exc:
            # Answered already (a repeated update) or too late: an answer has no later use.
            log.warning("pre-checkout %s: Telegram refused the answer: %s", query.id, exc)

    async def _forward(self, update: Update, kind: Forward) -> None:
        try:
            body = await self._post(update, kind)
        except StarportUnreachable as exc:
            log.critical("%s; Telegram will not deliver it again unless this webhook answers "
                         "non-2xx. The update: %s", exc, _json(update))
            raise
        log.info("update %s (%s) forwarded to Starport: %s", update.update_id, kind,
                 body.get("outcome"))

    async def _post(self, update: Update, kind: Forward) -> dict[str, Any]:
        """Starport's response body, after `attempts` tries at most; a 4xx is not retried (a
        wrong secret or a malformed update stays so)."""
        failure = ""
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = await self._client.post(self.url, content=_json(update),
                                                   headers=self._headers)
            except httpx.HTTPError as exc:
                failure = f"{type(exc).__name__}: {exc}"
                continue
            if response.is_success:
                try:
                    body = response.json()
                except ValueError:
                    return {}
                return body if isinstance(body, dict) else {}
            failure = f"HTTP {response.status_code}: {response.text[:200]}"
            if response.status_code < 500:
                break
        raise StarportUnreachable(f"update {update.update_id} ({kind}) was not taken by "
                                  f"Starport at {self.url}: {failure}")


def _json(update: Update) -> str:
    """The update as Telegram sent it: its own field names ("from"), none of aiogram's
    defaults, and the fields aiogram does not know kept."""
    return update.model_dump_json(by_alias=True, exclude_unset=True, exclude_none=True)
