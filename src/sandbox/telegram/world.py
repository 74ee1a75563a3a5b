"""In-memory world (users, channels, bots) and the context and registry of Bot API methods."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starport.sandbox.telegram.errors import bad_request, forbidden
from starport.sandbox.telegram.models import JSON, Channel, Charge, Invoice, Subscription, User
from starport.sandbox.telegram.ratelimit import RateLimiter
from starport.sandbox.telegram.webhook import UpdateHub


@dataclass
class Checkout:
    """A pre_checkout_query waiting for answerPreCheckoutQuery."""

    query_id: str
    user: User
    invoice: Invoice
    answer: asyncio.Future[tuple[bool, str | None]]
    expired: bool = False


@dataclass
class BotState:
    """What one bot (one token) sees and did: chats, invoices, payments, webhook, commands."""

    token: str
    user: User
    hub: UpdateHub
    limiter: RateLimiter
    started: set[int] = field(default_factory=set)  # users who may be messaged
    blocked: set[int] = field(default_factory=set)
    messages: dict[int, list[JSON]] = field(default_factory=dict)  # chat id -> sent by the bot
    inbox: dict[int, list[JSON]] = field(default_factory=dict)  # chat id -> sent by users
    invoices: dict[str, Invoice] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)  # Stars payments
    # Payments by card, kept apart: the Stars methods (refunds, transactions) never see them.
    card_charges: dict[str, Charge] = field(default_factory=dict)
    transactions: list[JSON] = field(default_factory=list)  # oldest first
    subscriptions: dict[tuple[int, str], Subscription] = field(default_factory=dict)
    checkouts: dict[str, Checkout] = field(default_factory=dict)
    checkout_answers: list[JSON] = field(default_factory=list)
    callback_queries: dict[str, JSON | None] = field(default_factory=dict)  # id -> answer
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    menu_buttons: dict[int | None, JSON] = field(default_factory=dict)  # None: the default
    _message_ids: dict[int, int] = field(default_factory=dict)

    def next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def find_message(self, chat_id: int, message_id: int) -> JSON | None:
        for message in self.messages.get(chat_id, []):
            if message["message_id"] == message_id:
                return message
        return None


@dataclass
class World:
    """One environment (production or test): its users, channels and bots."""

    test_env: bool
    users: dict[int, User] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    bots: dict[str, BotState] = field(default_factory=dict)

    def user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return user

    def channel_by_ref(self, ref: int | str) -> Channel | None:
        if isinstance(ref, str) and ref.startswith("@"):
            name = ref[1:].lower()
            return next(
                (c for c in self.channels.values() if (c.username or "").lower() == name), None
            )
        try:
            return self.channels.get(int(ref))
        except ValueError:
            return None


@dataclass
class Ctx:
    """What a method handler works on."""

    world: World
    bot: BotState
    clock: Callable[[], int] = field(default=lambda: int(time.time()))

    def now(self) -> int:
        return self.clock()

    def private_chat_user(self, chat_id: int | str) -> User | None:
        if isinstance(chat_id, int) or (isinstance(chat_id, str) and chat_id.lstrip("-").isdigit()):
            return self.world.users.get(int(chat_id))
        return None

    def channel(self, chat_id: int | str) -> Channel:
        channel = self.world.channel_by_ref(chat_id)
        if channel is None:
            raise bad_request("chat not found")
        return channel

    def admin_channel(self, chat_id: int | str, right: str) -> Channel:
        """The channel, if this bot is its administrator; Telegram's errors otherwise."""
        channel = self.channel(chat_id)
        status = channel.bot_status.get(self.bot.user.id, "left")
        if status == "left":
            raise forbidden("bot is not a member of the channel chat")
        if status != "administrator":
            raise bad_request(f"not enough rights to {right}")
        return channel

    def postable_chat(self, chat_id: int | str) -> Channel:
        """A channel the bot administers, or a group it is a member of."""
        channel = self.channel(chat_id)
        if not channel.is_group:
            return self.admin_channel(chat_id, "send text messages to the chat")
        if channel.bot_status.get(self.bot.user.id, "left") == "left":
            raise forbidden(f"bot is not a member of the {channel.type} chat")
        return channel

    def messageable_user(self, chat_id: int | str) -> User:
        """The user of a private chat the bot may write to."""
        user = self.private_chat_user(chat_id)
        if user is None:
            raise bad_request("chat not found")
        if user.id in self.bot.blocked:
            raise forbidden("bot was blocked by the user")
        if user.id not in self.bot.started:
            raise forbidden("bot can't initiate conversation with a user")
        return user


Handler = Callable[[Ctx, dict[str, Any]], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}

# Sending methods: subject to the flood limits (per bot and per chat).
SENDING_METHODS = frozenset(
    {"sendmessage", "sendinvoice", "sendphoto", "senddocument", "sendvideo", "sendaudio",
     "sendanimation", "sendvoice", "sendsticker", "sendmediagroup", "sendlocation", "sendcontact",
     "sendpoll", "senddice", "sendvenue", "sendpaidmedia", "copymessage", "forwardmessage",
     "copymessages", "forwardmessages"}
)  # fmt: skip


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register the emulation of Bot API method `name`."""

    def register(fn: Handler) -> Handler:
        HANDLERS[name.lower()] = fn
        return fn

    return register
