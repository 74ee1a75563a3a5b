"""ActorBase: users of the emulated world talking to one bot (text, buttons, blocking) and views."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from starport.sandbox.telegram.delivery import Delivery
from starport.sandbox.telegram.errors import SandboxError
from starport.sandbox.telegram.methods import bot_command_entities
from starport.sandbox.telegram.models import JSON, Channel, User, chat_member
from starport.sandbox.telegram.world import BotState, Ctx, World

if TYPE_CHECKING:
    from starport.sandbox.telegram.state import SandboxTelegram


class ActorBase:
    """Acts as the users of one world towards one bot; every update-producing action is awaited
    until the update was delivered (wait=False returns at once) and returns its Delivery."""

    def __init__(self, sandbox: SandboxTelegram, bot: BotState, world: World) -> None:
        self.sandbox = sandbox
        self.bot = bot
        self.world = world

    def ctx(self) -> Ctx:
        return self.sandbox.ctx(self.bot, self.world)

    # users

    def create_user(
        self,
        user_id: int,
        first_name: str = "Sandbox User",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
        started: bool = False,
    ) -> User:
        """Create (or update) a user; `started=True` as if they had already opened the bot."""
        user = User(user_id, first_name, username, last_name, language_code)
        self.world.users[user_id] = user
        if started:
            self.bot.started.add(user_id)
        return user

    def user(self, user_id: int) -> User:
        user = self.world.users.get(user_id)
        if user is None:
            raise SandboxError(f"no user {user_id}: create it first", 404)
        return user

    def user_message(self, user: User, content: JSON) -> JSON:
        """A message from `user` in their private chat with the bot."""
        message: JSON = {
            "message_id": self.bot.next_message_id(user.id),
            "from": user.to_json(),
            "chat": user.private_chat(),
            "date": self.sandbox.now(),
            **content,
        }
        self.bot.inbox.setdefault(user.id, []).append(message)
        return message

    async def send_text(
        self, user_id: int, text: str, *, wait: bool = True, duplicate: bool = False
    ) -> Delivery:
        """The user writes `text` (e.g. "/start pay_abc123") to the bot."""
        user = self.user(user_id)
        if user_id in self.bot.blocked:
            await self.unblock_bot(user_id)
        self.bot.started.add(user_id)
        content: JSON = {"text": text}
        entities = bot_command_entities(text)
        if entities:
            content["entities"] = entities
        message = self.user_message(user, content)
        return await self.bot.hub.publish("message", message, wait=wait, duplicate=duplicate)

    async def press_button(
        self,
        user_id: int,
        *,
        callback_data: str | None = None,
        text: str | None = None,
        message_id: int | None = None,
        wait: bool = True,
        duplicate: bool = False,
    ) -> Delivery:
        """The user presses an inline callback button of a message the bot sent them."""
        user = self.user(user_id)
        message, data = self._find_button(user.id, callback_data, text, message_id)
        query_id = str(secrets.randbits(62))
        self.bot.callback_queries[query_id] = None
        instance = hashlib.sha256(f"{self.bot.user.id}:{user.id}".encode()).hexdigest()[:16]
        query = {
            "id": query_id,
            "from": user.to_json(),
            "message": message,
            "chat_instance": str(int(instance, 16)),
            "data": data,
        }
        return await self.bot.hub.publish("callback_query", query, wait=wait, duplicate=duplicate)

    def _find_button(
        self, chat_id: int, data: str | None, text: str | None, message_id: int | None
    ) -> tuple[JSON, str]:
        for message in reversed(self.bot.messages.get(chat_id, [])):
            if message_id is not None and message["message_id"] != message_id:
                continue
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if button.get("callback_data") is None:
                    continue
                if (data is None or button["callback_data"] == data) and (
                    text is None or button["text"] == text
                ):
                    return message, button["callback_data"]
        raise SandboxError("no such callback button in the messages sent to this user", 404)

    async def block_bot(self, user_id: int, *, wait: bool = True) -> Delivery:
        """The user blocks the bot: sendMessage now answers 403; a my_chat_member update."""
        self.bot.blocked.add(self.user(user_id).id)
        return await self._my_chat_member(user_id, "member", "kicked", wait)

    async def unblock_bot(self, user_id: int, *, wait: bool = True) -> Delivery:
        self.bot.blocked.discard(self.user(user_id).id)
        return await self._my_chat_member(user_id, "kicked", "member", wait)

    async def _my_chat_member(self, user_id: int, old: str, new: str, wait: bool) -> Delivery:
        user = self.user(user_id)
        change = {
            "chat": user.private_chat(),
            "from": user.to_json(),
            "date": self.sandbox.now(),
            "old_chat_member": chat_member(self.bot.user, old),
            "new_chat_member": chat_member(self.bot.user, new),
        }
        return await self.bot.hub.publish("my_chat_member", change, wait=wait)

    # read-only views

    def messages(self, chat_id: int) -> list[JSON]:
        """Messages the bot sent to a chat (a user id for private chats), oldest first."""
        return list(self.bot.messages.get(chat_id, []))

    def invoices(self) -> list[JSON]:
        return [invoice.to_json() for invoice in self.bot.invoices.values()]

    def transactions(self) -> list[JSON]:
        """StarTransaction objects in chronological order (as getStarTransactions returns them)."""
        return list(self.bot.transactions)

    def deliveries(self) -> list[JSON]:
        return [d.to_json() for d in self.bot.hub.deliveries]

    def channel(self, chat_id: int | str) -> Channel:
        channel = self.world.channel_by_ref(chat_id)
        if channel is None:
            raise SandboxError(f"no channel {chat_id}", 404)
        return channel

    def members(self, chat_id: int | str) -> dict[int, str]:
        """User id -> member, kicked or left."""
        return dict(self.channel(chat_id).members)

    def invite_links(self, chat_id: int | str) -> list[JSON]:
        links = self.channel(chat_id).invite_links.values()
        return [{**link.to_json(), "joined": link.joined} for link in links]

    def summary(self) -> dict[str, Any]:
        hub = self.bot.hub
        return {
            "bot": self.bot.user.to_json(),
            "test_environment": self.world.test_env,
            "webhook": hub.webhook.url if hub.webhook else None,
            "pending_updates": len(hub.pending),
            "users": [u.to_json() for u in self.world.users.values()],
            "channels": [c.chat() for c in self.world.channels.values()],
        }
