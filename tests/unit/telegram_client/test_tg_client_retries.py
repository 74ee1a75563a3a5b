"""Flood control, 5xx and network errors: what is retried, how long it waits, when it stops."""

from __future__ import annotations

import httpx
import pytest
from tg_client_fakes import FakeBotApi, MakeClient, Recorder

from starport.adapters.telegram import (
    BotApiClient,
    BotBlocked,
    RetryPolicy,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)


def _flood(api: FakeBotApi, seconds: int, times: int = 1) -> None:
    api.error(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}, times)


async def test_429_waits_retry_after_then_succeeds(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    _flood(api, 3)
    _flood(api, 5)
    api.ok({"message_id": 1})

    message = await client.send_message(42, "hi")

    assert message == {"message_id": 1}
    assert recorder.slept == [3, 5]
    assert api.methods == ["sendMessage"] * 3


async def test_429_waits_are_bounded(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    _flood(api, 1, times=10)

    with pytest.raises(TelegramRetryAfter) as caught:
        await client.get_me()

    assert caught.value.retry_after == 1
    assert recorder.slept == [1, 1, 1]
    assert len(api.requests) == 4


async def test_a_429_longer_than_the_max_wait_is_raised_at_once(
    make_client: MakeClient, api: FakeBotApi, recorder: Recorder
) -> None:
    _flood(api, 11)
    bot = make_client(policy=RetryPolicy(max_retry_after=10))

    with pytest.raises(TelegramRetryAfter):
        await bot.get_me()

    assert recorder.slept == []


async def test_5xx_backs_off_exponentially_then_succeeds(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    api.error(502, "Bad Gateway", times=3)
    api.ok({"id": 1})

    assert await client.get_me() == {"id": 1}
    assert recorder.slept == [0.5, 1.0, 2.0]


async def test_5xx_retries_are_bounded(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    api.error(500, "Internal Server Error", times=10)

    with pytest.raises(TelegramServerError):
        await client.get_chat_member(-100, 7)

    assert len(api.requests) == 4  # the call and max_retries=3 retries
    assert len(recorder.slept) == 3


async def test_backoff_is_capped(
    make_client: MakeClient, api: FakeBotApi, recorder: Recorder
) -> None:
    api.error(503, "Service Unavailable", times=7)
    bot = make_client(policy=RetryPolicy(max_retries=6, backoff_cap=1.5, jitter=lambda: 1.0))

    with pytest.raises(TelegramServerError):
        await bot.get_me()

    assert recorder.slept == [0.5, 1.0, 1.5, 1.5, 1.5, 1.5]


def test_jitter_keeps_each_wait_between_half_and_all_of_the_ceiling() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=4.0)

    waits = [policy.backoff(3) for _ in range(200)]

    assert all(2.0 <= wait <= 4.0 for wait in waits)
    assert len(set(waits)) > 1


def test_the_constructor_shortcuts_set_the_policy(make_client: MakeClient) -> None:
    bot = make_client(policy=None, max_retries=1, backoff_cap=2.0)

    assert (bot._policy.max_retries, bot._policy.backoff_cap) == (1, 2.0)


@pytest.mark.parametrize(
    ("code", "description", "expected"),
    [
        (403, "Forbidden: bot was blocked by the user", BotBlocked),
        (400, "Bad Request: message text is empty", TelegramBadRequest),
    ],
)
async def test_4xx_is_never_retried(
    client: BotApiClient,
    api: FakeBotApi,
    recorder: Recorder,
    code: int,
    description: str,
    expected: type,
) -> None:
    api.error(code, description, times=5)

    with pytest.raises(expected):
        await client.send_message(42, "hi")

    assert len(api.requests) == 1
    assert recorder.slept == []


async def test_a_refused_connection_is_retried_even_for_a_send(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    api.fail(httpx.ConnectError("[Errno 111] Connection refused"), times=2)
    api.ok({"message_id": 1})

    assert await client.send_message(42, "hi") == {"message_id": 1}
    assert recorder.slept == [0.5, 1.0]


async def test_network_retries_are_bounded(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    api.fail(httpx.ConnectTimeout("timed out"), times=10)

    with pytest.raises(TelegramNetworkError) as caught:
        await client.get_me()

    assert caught.value.error_code is None
    assert "ConnectTimeout" in caught.value.description
    assert len(api.requests) == 4


async def test_a_read_timeout_is_retried_for_a_method_safe_to_repeat(
    client: BotApiClient, api: FakeBotApi
) -> None:
    api.fail(httpx.ReadTimeout("timed out"))
    api.ok(True)

    assert await client.refund_star_payment(7, "charge-1") is True
    assert api.methods == ["refundStarPayment"] * 2


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("Server disconnected")],
)
async def test_a_send_that_may_have_reached_telegram_is_not_repeated(
    client: BotApiClient, api: FakeBotApi, failure: Exception
) -> None:
    # A second sendInvoice could let the user pay twice for one session.
    api.fail(failure)

    with pytest.raises(TelegramNetworkError):
        await client.send_invoice(42, "T", "D", "p", [{"label": "x", "amount": 1}])

    assert len(api.requests) == 1


async def test_a_5xx_on_a_send_is_not_repeated(client: BotApiClient, api: FakeBotApi) -> None:
    api.error(502, "Bad Gateway")

    with pytest.raises(TelegramServerError):
        await client.send_message(42, "hi")

    assert len(api.requests) == 1


async def test_an_answer_telegram_waits_on_is_tried_once_with_a_short_timeout(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    api.error(502, "Bad Gateway", times=3)
    _flood(api, 1)

    with pytest.raises(TelegramServerError):
        await client.answer_pre_checkout_query("q1", ok=True)
    with pytest.raises(TelegramServerError):  # a 5xx that a message would be retried on
        await client.answer_callback_query("c1")

    assert api.methods == ["answerPreCheckoutQuery", "answerCallbackQuery"]
    assert recorder.slept == []
    timeouts = [r.extensions["timeout"] for r in api.requests]
    assert all(t["read"] <= 3.0 and t["connect"] <= 3.0 for t in timeouts), timeouts


async def test_other_calls_keep_the_long_timeout_and_a_short_connect(
    client: BotApiClient, api: FakeBotApi
) -> None:
    api.ok({"message_id": 1})

    await client.send_message(42, "hi")

    [timeout] = [r.extensions["timeout"] for r in api.requests]
    assert timeout["read"] == 10.0 and timeout["connect"] == 3.0


async def test_a_429_tells_the_throttle_to_hold_every_call_off(
    make_client: MakeClient, api: FakeBotApi, recorder: Recorder
) -> None:
    held: list[float] = []

    async def hold_off(seconds: float) -> None:
        held.append(seconds)

    _flood(api, 4)
    bot = make_client(on_flood=hold_off)

    await bot.send_message(42, "hi")

    assert held == [4.0]
    assert recorder.slept == [4]
