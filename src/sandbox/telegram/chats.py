"""Channel methods (members, invite links, bans, join requests) and the membership changes."""

from __future__ import annotations

import secrets
from typing import Any

from starport.sandbox.telegram.delivery import Delivery
from starport.sandbox.telegram.errors import bad_request
from starport.sandbox.telegram.models import JSON, Channel, InviteLink, User, chat_member
from starport.sandbox.telegram.world import Ctx, handler

_FOREVER_AFTER = 366 * 86400


def _full_info(chat: JSON) -> JSON:
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {key: False for key in (*gifts, "gifts_from_channels")},
    }


@handler("getChat")
async def get_chat(ctx: Ctx, p: dict[str, Any]) -> JSON:
    user = ctx.private_chat_user(p["chat_id"])
    if user is not None:
        if user.id not in ctx.bot.started:
            raise bad_request("chat not found")
        return _full_info(user.private_chat())
    channel = ctx.channel(p["chat_id"])
    if channel.bot_status.get(ctx.bot.user.id, "left") == "left" and not channel.username:
        raise bad_request("chat not found")
    return _full_info(channel.chat())


def _member(ctx: Ctx, channel: Channel, user_id: int) -> JSON:
    if user_id == ctx.bot.user.id:
        return chat_member(ctx.bot.user, channel.bot_status.get(user_id, "left"))
    user = ctx.world.users.get(user_id)
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    return chat_member(user, channel.status_of(user_id), channel.banned_until.get(user_id, 0))


async def change_status(
    ctx: Ctx,
    channel: Channel,
    user: User,
    status: str,
    *,
    by: User,
    link: InviteLink | None = None,
    via_request: bool = False,
    wait: bool = False,
) -> Delivery:
    """Set a user's membership and publish the chat_member update; returns the update's fate."""
    old = chat_member(user, channel.status_of(user.id), channel.banned_until.get(user.id, 0))
    channel.members[user.id] = status
    if status != "kicked":
        channel.banned_until.pop(user.id, None)
    change: JSON = {
        "chat": channel.chat(),
        "from": by.to_json(),
        "date": ctx.now(),
        "old_chat_member": old,
        "new_chat_member": _member(ctx, channel, user.id),
    }
    if link is not None:
        change["invite_link"] = link.to_json()
    if via_request:
        change["via_join_request"] = True
    return await ctx.bot.hub.publish("chat_member", change, wait=wait)


@handler("getChatMember")
async def get_chat_member(ctx: Ctx, p: dict[str, Any]) -> JSON:
    # A group's members are seen by any member; a channel's by its administrators.
    channel = ctx.channel(p["chat_id"])
    channel = (ctx.postable_chat(channel.id) if channel.is_group
               else ctx.admin_channel(channel.id, "get chat members"))
    return _member(ctx, channel, p["user_id"])


@handler("createChatInviteLink")
async def create_chat_invite_link(ctx: Ctx, p: dict[str, Any]) -> JSON:
    channel = ctx.admin_channel(p["chat_id"], "manage chat invite links")
    limit, expire = p.get("member_limit"), p.get("expire_date")
    if limit is not None and not 1 <= limit <= 99999:
        raise bad_request("USAGE_LIMIT_INVALID")
    if limit is not None and p.get("creates_join_request"):
        raise bad_request("member_limit can't be specified for links that require approval")
    if expire is not None and 0 < expire <= ctx.now():
        raise bad_request("EXPIRE_DATE_INVALID")
    if len(p.get("name") or "") > 32:
        raise bad_request("invite link name is too long")
    link = InviteLink(
        invite_link="https://t.me/+" + secrets.token_urlsafe(12),
        creator=ctx.bot.user,
        creates_join_request=bool(p.get("creates_join_request")),
        name=p.get("name"),
        expire_date=expire or None,
        member_limit=limit,
    )
    channel.invite_links[link.invite_link] = link
    return link.to_json()


@handler("revokeChatInviteLink")
async def revoke_chat_invite_link(ctx: Ctx, p: dict[str, Any]) -> JSON:
    channel = ctx.admin_channel(p["chat_id"], "manage chat invite links")
    link = channel.invite_links.get(p["invite_link"])
    if link is None:
        raise bad_request("INVITE_HASH_INVALID")
    link.is_revoked = True
    return link.to_json()


@handler("banChatMember")
async def ban_chat_member(ctx: Ctx, p: dict[str, Any]) -> bool:
    channel = ctx.admin_channel(p["chat_id"], "restrict/unrestrict chat member")
    user = ctx.world.users.get(p["user_id"])
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    until = p.get("until_date") or 0
    if until and not ctx.now() + 30 <= until <= ctx.now() + _FOREVER_AFTER:
        until = 0  # Telegram: under 30 seconds or over 366 days means forever
    channel.join_requests.pop(user.id, None)
    channel.banned_until[user.id] = until
    if channel.status_of(user.id) != "kicked":
        await change_status(ctx, channel, user, "kicked", by=ctx.bot.user)
    return True


@handler("unbanChatMember")
async def unban_chat_member(ctx: Ctx, p: dict[str, Any]) -> bool:
    channel = ctx.admin_channel(p["chat_id"], "restrict/unrestrict chat member")
    user = ctx.world.users.get(p["user_id"])
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    status = channel.status_of(user.id)
    if status == "kicked" or (status == "member" and not p.get("only_if_banned")):
        # Without only_if_banned, Telegram also removes a current member.
        await change_status(ctx, channel, user, "left", by=ctx.bot.user)
    return True


async def admit(
    ctx: Ctx, channel: Channel, user: User, link: InviteLink | None, *, by: User, wait: bool
) -> Delivery:
    """A user becomes a member (consuming the link's member_limit)."""
    if link is not None:
        link.joined += 1
    via_request = by is not user
    return await change_status(
        ctx, channel, user, "member", by=by, link=link, via_request=via_request, wait=wait
    )


def _join_request(ctx: Ctx, p: dict[str, Any]) -> tuple[Channel, User, InviteLink | None]:
    channel = ctx.admin_channel(p["chat_id"], "manage join requests")
    user = ctx.world.users.get(p["user_id"])
    if user is None or user.id not in channel.join_requests:
        raise bad_request("HIDE_REQUESTER_MISSING")
    link_url = channel.join_requests.pop(user.id)
    link = channel.invite_links.get(link_url) if link_url else None
    if link is not None:
        link.pending = max(0, link.pending - 1)
    return channel, user, link


@handler("approveChatJoinRequest")
async def approve_chat_join_request(ctx: Ctx, p: dict[str, Any]) -> bool:
    channel, user, link = _join_request(ctx, p)
    if channel.status_of(user.id) == "member":
        raise bad_request("USER_ALREADY_PARTICIPANT")
    await admit(ctx, channel, user, link, by=ctx.bot.user, wait=False)
    return True


@handler("declineChatJoinRequest")
async def decline_chat_join_request(ctx: Ctx, p: dict[str, Any]) -> bool:
    _join_request(ctx, p)
    return True
