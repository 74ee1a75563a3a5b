"""The client against the sandbox Telegram: identity, messages, buttons, commands, updates."""

from __future__ import annotations

import pytest

from starport.adapters.telegram import (
    BotApiClient,
    BotBlocked,
    BotCommand,
    ChatNotFound,
    InlineButton,
    TelegramConflict,
    TelegramUnauthorized,
    inline_keyboard,
)
from starport.sandbox.telegram import DEFAULT_BOT_TOKEN, Actor, SandboxTelegram

USER = 5550001


async def test_get_me_names_the_bot(bot: BotApiClient) -> None:
    me = await bot.get_me()

    assert me["is_bot"] is True
    assert me["id"] == int(DEFAULT_BOT_TOKEN.split(":")[0])


async def test_a_message_with_a_keyboard_reaches_the_user_and_its_button_is_answered(
    bot: BotApiClient, actor: Actor
) -> None:
    # Given a user who has opened the bot
    actor.create_user(USER, "Ada", started=True)
    keyboard = inline_keyboard([[InlineButton("Buy 100 credits", callback_data="buy:starter")]])

    # When the bot sends a message with a button, and the user presses it
    sent = await bot.send_message(USER, "<b>Pick</b> a package", "HTML", keyboard)
    await actor.press_button(USER, callback_data="buy:starter")
    updates = await bot.get_updates(timeout=1, allowed_updates=["callback_query"])
    query = updates[-1]["callback_query"]
    answered = await bot.answer_callback_query(query["id"], text="Invoice on its way")

    # Then the user saw the message with its keyboard, and the query was answered
    assert sent["chat"]["id"] == USER
    (message,) = actor.messages(USER)
    assert message["reply_markup"] == keyboard
    assert query["data"] == "buy:starter"
    assert answered is True


async def test_a_user_who_blocked_the_bot_raises_bot_blocked(
    bot: BotApiClient, actor: Actor, outcomes: list[tuple[str, str]]
) -> None:
    actor.create_user(USER, started=True)
    await actor.block_bot(USER)

    with pytest.raises(BotBlocked, match="blocked by the user"):
        await bot.send_message(USER, "hello?")

    assert outcomes == [("sendMessage", "blocked")]


async def test_an_unknown_chat_raises_chat_not_found(bot: BotApiClient) -> None:
    with pytest.raises(ChatNotFound):
        await bot.send_message(999, "anyone?")


async def test_commands_are_set_read_and_deleted(bot: BotApiClient) -> None:
    commands = [BotCommand("start", "Open the shop"), BotCommand("balance", "Your credits")]

    assert await bot.set_my_commands(commands) is True
    assert await bot.get_my_commands() == [c.to_api() for c in commands]
    assert await bot.set_my_commands(commands[:1], language_code="de") is True
    assert await bot.get_my_commands(language_code="de") == [commands[0].to_api()]
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == []


async def test_webhook_set_read_and_deleted(bot: BotApiClient, base_url: str) -> None:
    url = f"{base_url}/nowhere/webhook"  # loopback; nothing is published while it is set

    assert await bot.set_webhook(
        url, secret_token="s3cr3t", allowed_updates=["message"], max_connections=10
    )
    info = await bot.get_webhook_info()
    with pytest.raises(TelegramConflict):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True) is True

    assert info["url"] == url
    assert info["allowed_updates"] == ["message"]
    assert info["max_connections"] == 10
    assert (await bot.get_webhook_info())["url"] == ""


async def test_get_updates_confirms_with_offset(bot: BotApiClient, actor: Actor) -> None:
    actor.create_user(USER)
    await actor.send_text(USER, "/start")
    await actor.send_text(USER, "hi")

    first = await bot.get_updates(limit=1)
    rest = await bot.get_updates(offset=first[0]["update_id"] + 1, timeout=0)

    assert first[0]["message"]["text"] == "/start"
    assert [u["message"]["text"] for u in rest] == ["hi"]


async def test_the_test_environment_is_a_separate_world(
    base_url: str, sandbox: SandboxTelegram
) -> None:
    async with BotApiClient(DEFAULT_BOT_TOKEN, base_url=base_url, test_env=True) as test_bot:
        me = await test_bot.get_me()

    assert me["is_bot"] is True
    assert DEFAULT_BOT_TOKEN in sandbox.world(test=True).bots
    assert DEFAULT_BOT_TOKEN not in sandbox.world(test=False).bots


async def test_a_malformed_token_is_unauthorized(base_url: str) -> None:
    async with BotApiClient("123:nope", base_url=base_url) as stranger:
        with pytest.raises(TelegramUnauthorized) as caught:
            await stranger.get_me()

    assert "123:nope" not in str(caught.value)
