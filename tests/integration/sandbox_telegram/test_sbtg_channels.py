"""Channels: bot rights, members, invite links and their limits, bans, join requests."""

from __future__ import annotations

import pytest

from starport.sandbox.telegram import Actor, SandboxError

from .conftest import BotApi, Receiver

ANN, BOB = 1, 2


@pytest.fixture
def channel_id(actor: Actor) -> int:
    actor.create_user(ANN, "Ann")
    actor.create_user(BOB, "Bob")
    return actor.create_channel(title="Patrons").id


async def test_invite_link_member_limit(bot: BotApi, actor: Actor, channel_id: int) -> None:
    link = await bot.ok("createChatInviteLink", chat_id=channel_id, member_limit=1, name="ann")
    assert link["invite_link"].startswith("https://t.me/+") and link["member_limit"] == 1
    await actor.join_channel(ANN, channel_id, invite_link=link["invite_link"])
    with pytest.raises(SandboxError, match="INVITE_HASH_EXPIRED"):
        await actor.join_channel(BOB, channel_id, invite_link=link["invite_link"])
    member = await bot.ok("getChatMember", chat_id=channel_id, user_id=ANN)
    assert member["status"] == "member"
    assert (await bot.ok("getChatMember", chat_id=channel_id, user_id=BOB))["status"] == "left"
    assert actor.invite_links(channel_id)[0]["joined"] == 1


async def test_revoked_and_expired_links(bot: BotApi, actor: Actor, channel_id: int) -> None:
    link = (await bot.ok("createChatInviteLink", chat_id=channel_id))["invite_link"]
    revoked = await bot.ok("revokeChatInviteLink", chat_id=channel_id, invite_link=link)
    assert revoked["is_revoked"] is True
    with pytest.raises(SandboxError):
        await actor.join_channel(ANN, channel_id, invite_link=link)
    expiring = await bot.ok(
        "createChatInviteLink", chat_id=channel_id, expire_date=actor.sandbox.now() + 60
    )
    actor.sandbox.advance_time(61)
    with pytest.raises(SandboxError):
        await actor.join_channel(ANN, channel_id, invite_link=expiring["invite_link"])


async def test_bot_rights(bot: BotApi, actor: Actor, channel_id: int) -> None:
    actor.set_bot_status(channel_id, "member")
    body = await bot("createChatInviteLink", chat_id=channel_id)
    assert body["error_code"] == 400 and body["description"].startswith(
        "Bad Request: not enough rights to"
    )
    actor.set_bot_status(channel_id, "left")
    body = await bot("banChatMember", chat_id=channel_id, user_id=ANN)
    assert body["error_code"] == 403
    body = await bot("getChatMember", chat_id=-1009999, user_id=ANN)
    assert body["description"] == "Bad Request: chat not found"


async def test_ban_and_unban(bot: BotApi, actor: Actor, channel_id: int) -> None:
    await actor.join_channel(ANN, channel_id)
    assert await bot.ok("banChatMember", chat_id=channel_id, user_id=ANN)
    member = await bot.ok("getChatMember", chat_id=channel_id, user_id=ANN)
    assert member["status"] == "kicked" and member["until_date"] == 0
    with pytest.raises(SandboxError, match="BANNED"):
        await actor.join_channel(ANN, channel_id)
    assert await bot.ok("unbanChatMember", chat_id=channel_id, user_id=ANN, only_if_banned=True)
    assert actor.members(channel_id)[ANN] == "left"
    await actor.join_channel(BOB, channel_id)
    await bot.ok("unbanChatMember", chat_id=channel_id, user_id=BOB, only_if_banned=True)
    assert actor.members(channel_id)[BOB] == "member"  # only_if_banned keeps members
    await bot.ok("unbanChatMember", chat_id=channel_id, user_id=BOB)
    assert actor.members(channel_id)[BOB] == "left"  # without it, Telegram removes them


async def test_join_requests(
    bot: BotApi, actor: Actor, channel_id: int, receiver: Receiver
) -> None:
    await bot.ok("setWebhook", url=receiver.url, allowed_updates=["chat_join_request",
                 "chat_member"])  # fmt: skip
    link = await bot.ok("createChatInviteLink", chat_id=channel_id, creates_join_request=True)
    await actor.join_channel(ANN, channel_id, invite_link=link["invite_link"])
    request = receiver.of_kind("chat_join_request")[0]
    assert request["from"]["id"] == ANN and request["invite_link"]["creates_join_request"]
    assert await bot.ok("approveChatJoinRequest", chat_id=channel_id, user_id=ANN)
    await actor.sandbox.drain()
    joined = receiver.of_kind("chat_member")[-1]
    assert joined["new_chat_member"]["status"] == "member" and joined["via_join_request"]
    await actor.request_join(BOB, channel_id)
    assert await bot.ok("declineChatJoinRequest", chat_id=channel_id, user_id=BOB)
    again = await bot("declineChatJoinRequest", chat_id=channel_id, user_id=BOB)
    assert again["description"] == "Bad Request: HIDE_REQUESTER_MISSING"
    assert actor.members(channel_id) == {ANN: "member"}


async def test_private_chat_rules(bot: BotApi, actor: Actor, receiver: Receiver) -> None:
    actor.create_user(ANN, "Ann")
    body = await bot("sendMessage", chat_id=ANN, text="hi")
    assert body["description"] == "Forbidden: bot can't initiate conversation with a user"
    await actor.send_text(ANN, "/start")
    assert await bot.ok("sendMessage", chat_id=ANN, text="welcome")
    await actor.block_bot(ANN)
    assert await bot("sendMessage", chat_id=ANN, text="hi") == {
        "ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"
    }  # fmt: skip
    assert receiver.of_kind("my_chat_member")[0]["new_chat_member"]["status"] == "kicked"
    body = await bot("sendMessage", chat_id=777, text="hi")
    assert body["description"] == "Bad Request: chat not found"


async def test_commands(bot: BotApi) -> None:
    commands = [
        {"command": "start", "description": "Start"},
        {"command": "buy", "description": "Buy"},
    ]
    assert await bot.ok("setMyCommands", commands=commands)
    assert await bot.ok("getMyCommands") == commands
    assert await bot.ok("getMyCommands", scope={"type": "all_private_chats"}) == []
    bad = await bot("setMyCommands", commands=[{"command": "Bad Command", "description": "x"}])
    assert bad["error_code"] == 400
    assert await bot.ok("deleteMyCommands")
    assert await bot.ok("getMyCommands") == []


async def test_the_menu_button(bot: BotApi, actor: Actor) -> None:
    actor.create_user(ANN, "Ann")
    actor.create_user(BOB, "Bob")
    web_app = {"type": "web_app", "text": "Buy credits",
               "web_app": {"url": "https://pay.example.com/miniapp/"}}
    assert await bot.ok("getChatMenuButton") == {"type": "default"}

    assert await bot.ok("setChatMenuButton", menu_button=web_app)
    assert await bot.ok("setChatMenuButton", chat_id=ANN, menu_button={"type": "commands"})

    assert await bot.ok("getChatMenuButton") == web_app
    assert await bot.ok("getChatMenuButton", chat_id=ANN) == {"type": "commands"}
    assert await bot.ok("getChatMenuButton", chat_id=BOB) == web_app
    plain_http = {**web_app, "web_app": {"url": "http://pay.example.com/miniapp/"}}
    refused = await bot("setChatMenuButton", menu_button=plain_http)
    assert refused["description"] == "Bad Request: BUTTON_URL_INVALID"
    local = {**web_app, "web_app": {"url": "http://127.0.0.1:8000/miniapp/"}}
    assert await bot.ok("setChatMenuButton", menu_button=local)
