"""Bot API methods for the patrons' channel: members, invite links, bans, join requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starport.adapters.telegram.calls import Calls

Json = dict[str, Any]


class ChatMethods(Calls):
    async def get_chat(self, chat_id: int | str) -> Json:
        result: Json = await self.call("getChat", chat_id=chat_id)
        return result

    async def get_chat_member(self, chat_id: int | str, user_id: int) -> Json:
        result: Json = await self.call("getChatMember", chat_id=chat_id, user_id=user_id)
        return result

    async def create_chat_invite_link(
        self,
        chat_id: int | str,
        member_limit: int | None = None,
        expire_date: int | datetime | None = None,
        name: str | None = None,
        creates_join_request: bool | None = None,
    ) -> Json:
        if member_limit is not None and creates_join_request:
            raise ValueError("an invite link takes member_limit or creates_join_request, not both")
        if member_limit is not None and not 1 <= member_limit <= 99_999:
            raise ValueError("member_limit must be 1-99999")
        result: Json = await self.call(
            "createChatInviteLink",
            chat_id=chat_id,
            name=name,
            expire_date=_unix(expire_date),
            member_limit=member_limit,
            creates_join_request=creates_join_request,
        )
        return result

    async def revoke_chat_invite_link(self, chat_id: int | str, invite_link: str) -> Json:
        result: Json = await self.call(
            "revokeChatInviteLink", chat_id=chat_id, invite_link=invite_link
        )
        return result

    async def ban_chat_member(
        self,
        chat_id: int | str,
        user_id: int,
        until_date: int | datetime | None = None,
        revoke_messages: bool | None = None,
    ) -> bool:
        return bool(
            await self.call(
                "banChatMember",
                chat_id=chat_id,
                user_id=user_id,
                until_date=_unix(until_date),
                revoke_messages=revoke_messages,
            )
        )

    async def unban_chat_member(
        self, chat_id: int | str, user_id: int, only_if_banned: bool | None = None
    ) -> bool:
        return bool(
            await self.call(
                "unbanChatMember", chat_id=chat_id, user_id=user_id, only_if_banned=only_if_banned
            )
        )

    async def approve_chat_join_request(self, chat_id: int | str, user_id: int) -> bool:
        return bool(await self.call("approveChatJoinRequest", chat_id=chat_id, user_id=user_id))

    async def decline_chat_join_request(self, chat_id: int | str, user_id: int) -> bool:
        return bool(await self.call("declineChatJoinRequest", chat_id=chat_id, user_id=user_id))


def _unix(moment: int | datetime | None) -> int | None:
    """Unix seconds; an aware datetime is converted, a naive one refused (whose clock?)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("pass an aware datetime")
        return int(moment.timestamp())
    return moment
