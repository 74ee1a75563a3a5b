"""The client against the sandbox Telegram: injected faults, real flood limits, odd calls."""

from __future__ import annotations

import pytest
from tg_client_sandbox_helpers import Sleeps

from starport.adapters.telegram import (
    BotApiClient,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from starport.sandbox.telegram import DEFAULT_BOT_TOKEN, Actor, Limits, SandboxTelegram

USER = 5550005


async def test_502s_are_retried_until_telegram_answers(
    bot: BotApiClient, sandbox: SandboxTelegram, sleeps: Sleeps, outcomes: list[tuple[str, str]]
) -> None:
    sandbox.faults.inject("getChat", times=2, error_code=502)
    sandbox.actor().create_channel(-1009990002, "Patrons")

    chat = await bot.get_chat(-1009990002)

    assert chat["title"] == "Patrons"
    assert len(sleeps.slept) == 2
    assert [o for _, o in outcomes] == ["server_error", "server_error", "ok"]
    assert [c.ok for c in sandbox.calls] == [False, False, True]


async def test_500s_give_up_after_the_bounded_retries(
    bot: BotApiClient, sandbox: SandboxTelegram
) -> None:
    sandbox.faults.inject("getMe", times=10, error_code=500)

    with pytest.raises(TelegramServerError):
        await bot.get_me()

    assert len(sandbox.calls) == 4


async def test_a_429_waits_its_retry_after(
    bot: BotApiClient, actor: Actor, sandbox: SandboxTelegram, sleeps: Sleeps
) -> None:
    actor.create_user(USER, started=True)
    sandbox.faults.inject("sendMessage", times=2, error_code=429, retry_after=7)

    await bot.send_message(USER, "hello")

    assert sleeps.slept == [7, 7]
    assert len(actor.messages(USER)) == 1


async def test_a_long_flood_wait_is_raised_to_the_caller(
    bot: BotApiClient, actor: Actor, sandbox: SandboxTelegram, sleeps: Sleeps
) -> None:
    actor.create_user(USER, started=True)
    sandbox.faults.inject("sendMessage", times=1, error_code=429, retry_after=3600)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "hello")

    assert caught.value.retry_after == 3600
    assert sleeps.slept == []


async def test_real_flood_limits_are_waited_out(base_url: str, sandbox: SandboxTelegram) -> None:
    # Given the sandbox's real per-chat limit (a burst of 3, then 1 per second)
    sandbox.limits = Limits(per_chat_burst=3, per_chat_per_second=5.0)
    sandbox.reset()
    actor = sandbox.actor()
    actor.create_user(USER, started=True)

    # When the bot sends 5 messages at once, really sleeping when told to
    async with BotApiClient(DEFAULT_BOT_TOKEN, base_url=base_url) as bot:
        for n in range(5):
            await bot.send_message(USER, f"message {n}")

    # Then all arrived, some after a 429
    assert len(actor.messages(USER)) == 5
    assert sandbox.stats.rate_limited >= 1


async def test_an_unknown_method_is_not_found(bot: BotApiClient, sandbox: SandboxTelegram) -> None:
    with pytest.raises(TelegramNotFound):
        await bot.call("sendTelepathy", chat_id=1)

    assert [v.method for v in sandbox.spec_violations] == ["sendTelepathy"]
    sandbox.spec_violations.clear()  # expected here; every other test must have none


async def test_the_generic_call_reaches_methods_without_a_helper(
    bot: BotApiClient, actor: Actor
) -> None:
    actor.create_user(USER, started=True)
    sent = await bot.send_message(USER, "draft")

    edited = await bot.call(
        "editMessageText", chat_id=USER, message_id=sent["message_id"], text="final"
    )

    assert edited["text"] == "final"
