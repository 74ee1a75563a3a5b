"""`starport doctor`'s support chat check, against the sandbox Telegram over HTTP: the chat is a
group the bot is in, or the check says what to fix."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from starport.adapters.telegram import BotApiClient
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.doctor import FAIL, OK, _support
from starport.sandbox.telegram import Actor

GROUP = -1005550001


def config(**settings: Any) -> StarportConfig:
    return StarportConfig(_env_file=None, starport_sandbox=False,  # type: ignore[call-arg]
                          **settings)


async def check(bot: BotApiClient, **settings: Any) -> tuple[str, str]:
    [found] = await _support(config(**settings), SimpleNamespace(telegram=bot))  # type: ignore[arg-type]
    return found.status, found.detail


async def test_a_group_the_bot_is_in_passes(bot: BotApiClient, actor: Actor) -> None:
    actor.create_group(GROUP, "Shop support")
    status, detail = await check(bot, starport_support_chat_id=GROUP)
    assert status == OK
    assert detail == ("the bot is member in 'Shop support' (-1005550001): users' messages are "
                      "relayed there")


async def test_a_group_without_the_bot_or_a_channel_fails(bot: BotApiClient, actor: Actor
                                                          ) -> None:
    actor.create_group(GROUP, "Shop support", bot_status="left")
    channel = actor.create_channel(title="Patrons").id
    actor.create_group(GROUP - 1, "Other", bot_status="left").username = "other_group"

    gone = await check(bot, starport_support_chat_id=GROUP - 1)
    a_channel = await check(bot, starport_support_chat_id=channel)

    assert gone == (FAIL, "the bot is left in 'Other' (-1005550002): add it to the group, able "
                          "to send messages")
    assert a_channel[0] == FAIL and "is a channel, not a group" in a_channel[1]


async def test_without_a_support_chat_there_is_nothing_to_check(bot: BotApiClient) -> None:
    assert (await check(bot))[0] == OK
    assert (await check(bot, starport_support_chat_id=GROUP, starport_bot_mode="payments")
            )[1] == "STARPORT_BOT_MODE=payments: support is your own bot's"
