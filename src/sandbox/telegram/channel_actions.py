"""ChannelActions: create channels and groups, set the bot's rights, users join, leave or ask
to join, and talk in groups."""

from __future__ import annotations

import itertools
from typing import Any

from starport.sandbox.telegram.actions import ActorBase
from starport.sandbox.telegram.chats import admit, change_status
from starport.sandbox.telegram.delivery import Delivery
from starport.sandbox.telegram.errors import SandboxError
from starport.sandbox.telegram.methods import bot_command_entities
from starport.sandbox.telegram.models import JSON, Channel, InviteLink

_channel_ids = itertools.count(1000000001)
BOT_STATUSES = ("administrator", "member", "left")


class ChannelActions(ActorBase):
    def create_channel(
        self,
        chat_id: int | None = None,
        title: str = "Sandbox Channel",
        username: str | None = None,
        *,
        bot_status: str = "administrator",
    ) -> Channel:
        """A channel (id like -100...) where this bot is administrator, member or absent."""
        if chat_id is None:
            chat_id = -1000000000000 - next(_channel_ids)
        channel = self.world.channels.get(chat_id) or Channel(chat_id, title, username)
        channel.title, channel.username = title, username
        self.world.channels[chat_id] = channel
        self.set_bot_status(chat_id, bot_status)
        return channel

    def create_group(
        self,
        chat_id: int | None = None,
        title: str = "Sandbox Group",
        *,
        bot_status: str = "member",
        members: tuple[int, ...] = (),
    ) -> Channel:
        """A supergroup where this bot is a member (or administrator, or absent), with these
        users as members (no chat_member updates: they were there before)."""
        channel = self.create_channel(chat_id, title, bot_status=bot_status)
        channel.type = "supergroup"
        for user_id in members:
            channel.members[self.user(user_id).id] = "member"
        return channel

    async def send_to_group(
        self,
        user_id: int,
        chat_id: int | str,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        wait: bool = True,
    ) -> Delivery | None:
        """A member writes in a group, maybe replying to a message there (the bot's or a
        member's). The bot gets the message update as Telegram's privacy mode has it: if it is
        an administrator, or the message replies to one of its messages, or is a command;
        else None (the bot never sees it)."""
        user, channel = self.user(user_id), self.channel(chat_id)
        if not channel.is_group:
            raise SandboxError(f"{channel.id} is a channel: members do not write there")
        if channel.status_of(user.id) != "member":
            raise SandboxError("USER_NOT_PARTICIPANT: join the group first", 409)
        message: JSON = {
            "message_id": self.bot.next_message_id(channel.id),
            "from": user.to_json(),
            "chat": channel.chat(),
            "date": self.sandbox.now(),
            "text": text,
        }
        entities = bot_command_entities(text)
        if entities:
            message["entities"] = entities
        replied = self._group_message(channel.id, reply_to_message_id)
        if replied is not None:
            message["reply_to_message"] = {k: v for k, v in replied.items()
                                           if k != "reply_to_message"}
        self.bot.inbox.setdefault(channel.id, []).append(message)
        status = channel.bot_status.get(self.bot.user.id, "left")
        to_bot = replied is not None and replied.get("from", {}).get("id") == self.bot.user.id
        if status == "left" or not (status == "administrator" or to_bot or entities):
            return None
        return await self.bot.hub.publish("message", message, wait=wait)

    def _group_message(self, chat_id: int, message_id: int | None) -> JSON | None:
        if message_id is None:
            return None
        said = [*self.bot.messages.get(chat_id, []), *self.bot.inbox.get(chat_id, [])]
        found = next((m for m in said if m["message_id"] == message_id), None)
        if found is None:
            raise SandboxError(f"no message {message_id} in chat {chat_id}", 404)
        return found

    def set_bot_status(self, chat_id: int | str, status: str) -> None:
        if status not in BOT_STATUSES:
            raise SandboxError(f"bot status must be one of {', '.join(BOT_STATUSES)}")
        self.channel(chat_id).bot_status[self.bot.user.id] = status

    def _link(self, channel: Channel, invite_link: str | None) -> InviteLink | None:
        if invite_link is None:
            return None
        link = channel.invite_links.get(invite_link)
        if link is None or not link.usable(self.sandbox.now()):
            raise SandboxError("INVITE_HASH_EXPIRED", 409)
        return link

    async def join_channel(
        self, user_id: int, chat_id: int | str, *, invite_link: str | None = None, wait: bool = True
    ) -> Delivery:
        """The user joins (through `invite_link` if given, consuming its member_limit); a link
        that creates join requests makes a join request instead. Returns the update's fate."""
        user, channel = self.user(user_id), self.channel(chat_id)
        status = channel.status_of(user.id)
        if status == "kicked":
            raise SandboxError("USER_BANNED_IN_CHANNEL", 409)
        if status == "member":
            raise SandboxError("USER_ALREADY_PARTICIPANT", 409)
        link = self._link(channel, invite_link)
        if link is not None and link.creates_join_request:
            return await self.request_join(user_id, chat_id, invite_link=invite_link, wait=wait)
        return await admit(self.ctx(), channel, user, link, by=user, wait=wait)

    async def leave_channel(
        self, user_id: int, chat_id: int | str, *, wait: bool = True
    ) -> Delivery:
        user, channel = self.user(user_id), self.channel(chat_id)
        if channel.status_of(user.id) != "member":
            raise SandboxError("USER_NOT_PARTICIPANT", 409)
        return await change_status(self.ctx(), channel, user, "left", by=user, wait=wait)

    async def request_join(
        self, user_id: int, chat_id: int | str, *, invite_link: str | None = None, wait: bool = True
    ) -> Delivery:
        """A chat_join_request update; the bot approves or declines it."""
        user, channel = self.user(user_id), self.channel(chat_id)
        if channel.status_of(user.id) in ("member", "kicked"):
            raise SandboxError("USER_ALREADY_PARTICIPANT or banned", 409)
        link = self._link(channel, invite_link)
        if user.id not in channel.join_requests and link is not None:
            link.pending += 1
        channel.join_requests[user.id] = link.invite_link if link else None
        self.bot.started.add(user.id)  # a join request lets the bot write to the user
        request: dict[str, Any] = {
            "chat": channel.chat(),
            "from": user.to_json(),
            "user_chat_id": user.id,
            "date": self.sandbox.now(),
        }
        if link is not None:
            request["invite_link"] = link.to_json()
        return await self.bot.hub.publish("chat_join_request", request, wait=wait)
