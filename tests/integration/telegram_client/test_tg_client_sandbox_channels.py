"""The client against the sandbox Telegram: the patrons' channel, invite links, bans, requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from starport.adapters.telegram import BotApiClient, TelegramForbidden
from starport.sandbox.telegram import Actor

CHANNEL = -1009990001
PATRON, STRANGER = 5550003, 5550004


@pytest.fixture
def channel(actor: Actor) -> int:
    actor.create_channel(CHANNEL, "Patrons", "starport_patrons")
    actor.create_user(PATRON, "Pat")
    actor.create_user(STRANGER, "Stan")
    return CHANNEL


async def test_get_chat_by_id_and_username(bot: BotApiClient, channel: int) -> None:
    by_id = await bot.get_chat(channel)
    by_name = await bot.get_chat("@starport_patrons")

    assert by_id["id"] == by_name["id"] == channel
    assert by_id["type"] == "channel"
    assert by_id["title"] == "Patrons"


async def test_a_patron_joins_with_a_one_time_link_which_is_then_revoked(
    bot: BotApiClient, actor: Actor, channel: int
) -> None:
    # Given a one-use invite link that expires in a day
    expires = datetime.now(UTC) + timedelta(days=1)
    link = await bot.create_chat_invite_link(
        channel, member_limit=1, expire_date=expires, name=f"patron {PATRON}"
    )
    before = await bot.get_chat_member(channel, PATRON)

    # When the patron joins with it, and the bot revokes it
    await actor.join_channel(PATRON, channel, invite_link=link["invite_link"])
    after = await bot.get_chat_member(channel, PATRON)
    revoked = await bot.revoke_chat_invite_link(channel, link["invite_link"])

    # Then they are a member, and the link is dead
    assert link["member_limit"] == 1
    assert link["expire_date"] == int(expires.timestamp())
    assert before["status"] == "left"
    assert after["status"] == "member"
    assert revoked["is_revoked"] is True


async def test_ban_then_unban_only_if_banned(bot: BotApiClient, actor: Actor, channel: int) -> None:
    await actor.join_channel(PATRON, channel)

    assert await bot.ban_chat_member(channel, PATRON, revoke_messages=False) is True
    kicked = await bot.get_chat_member(channel, PATRON)
    assert await bot.unban_chat_member(channel, PATRON, only_if_banned=True) is True
    assert await bot.unban_chat_member(channel, STRANGER, only_if_banned=True) is True

    assert kicked["status"] == "kicked"
    assert (await bot.get_chat_member(channel, PATRON))["status"] == "left"
    assert (await bot.get_chat_member(channel, STRANGER))["status"] == "left"


async def test_join_requests_are_approved_and_declined(
    bot: BotApiClient, actor: Actor, channel: int
) -> None:
    link = await bot.create_chat_invite_link(channel, creates_join_request=True, name="requests")
    await actor.join_channel(PATRON, channel, invite_link=link["invite_link"])
    await actor.join_channel(STRANGER, channel, invite_link=link["invite_link"])

    assert await bot.approve_chat_join_request(channel, PATRON) is True
    assert await bot.decline_chat_join_request(channel, STRANGER) is True

    assert actor.members(channel).get(PATRON) == "member"
    assert actor.members(channel).get(STRANGER) != "member"


async def test_a_channel_without_the_bot_is_forbidden(
    bot: BotApiClient, actor: Actor, channel: int
) -> None:
    actor.set_bot_status(channel, "left")

    with pytest.raises(TelegramForbidden, match="not a member"):
        await bot.create_chat_invite_link(channel, member_limit=1)
