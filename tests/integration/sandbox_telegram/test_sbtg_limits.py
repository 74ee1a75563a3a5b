"""Flood limits (429 with retry_after) and injected faults for retry tests."""

from __future__ import annotations

from starport.sandbox.telegram import Actor, Limits, SandboxTelegram

from .conftest import BotApi


async def test_per_chat_limit_answers_429_with_retry_after(
    bot: BotApi, actor: Actor, sandbox: SandboxTelegram
) -> None:
    sandbox.limits = Limits()  # the defaults: on
    actor.create_user(1, "Ann", started=True)
    actor.create_user(2, "Bob", started=True)
    replies = [await bot("sendMessage", chat_id=1, text=f"m{i}") for i in range(6)]
    limited = [r for r in replies if not r["ok"]]
    assert limited, "a burst to one chat must hit the per-chat limit"
    assert limited[0]["error_code"] == 429
    retry_after = limited[0]["parameters"]["retry_after"]
    assert isinstance(retry_after, int) and retry_after >= 1
    assert limited[0]["description"] == f"Too Many Requests: retry after {retry_after}"
    assert sandbox.stats.too_many_requests == len(limited) == sandbox.stats.rate_limited
    assert (await bot("sendMessage", chat_id=2, text="another chat"))["ok"]


async def test_global_limit(bot: BotApi, actor: Actor, sandbox: SandboxTelegram) -> None:
    sandbox.limits = Limits(global_per_second=1, global_burst=3, per_chat_burst=100)
    for user_id in range(1, 6):
        actor.create_user(user_id, "U", started=True)
    replies = [await bot("sendMessage", chat_id=u, text="hi") for u in range(1, 6)]
    assert [r["ok"] for r in replies] == [True, True, True, False, False]


async def test_limits_off_for_tests(bot: BotApi, actor: Actor) -> None:
    actor.create_user(1, "Ann", started=True)
    replies = [await bot("sendMessage", chat_id=1, text=f"m{i}") for i in range(10)]
    assert all(r["ok"] for r in replies)


async def test_injected_faults_then_recovery(bot: BotApi, sandbox: SandboxTelegram) -> None:
    sandbox.faults.inject("getMe", times=2, error_code=500)
    sandbox.faults.inject("getMe", times=1, error_code=429, retry_after=3)
    first, second, third, fourth = [await bot("getMe") for _ in range(4)]
    assert first == second == {
        "ok": False, "error_code": 500, "description": "Internal Server Error"
    }  # fmt: skip
    assert third["error_code"] == 429 and third["parameters"] == {"retry_after": 3}
    assert fourth["ok"] is True
    assert sandbox.stats.injected_faults == 3 and sandbox.stats.too_many_requests == 1


async def test_faults_come_after_validation(bot: BotApi, sandbox: SandboxTelegram) -> None:
    sandbox.faults.inject("sendMessage")
    assert (await bot("sendMessage", chat_id=1))["error_code"] == 400
    assert (await bot("sendMessage", chat_id=1, text="x"))["error_code"] == 500
