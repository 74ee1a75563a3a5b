"""Error replies become typed exceptions; odd bodies are handled; a refunded charge is success."""

from __future__ import annotations

import pickle

import pytest
from tg_client_fakes import FakeBotApi, MakeClient, Recorder

from starport.adapters.telegram import (
    BotApiClient,
    BotBlocked,
    ChatNotFound,
    TelegramBadRequest,
    TelegramBadResponse,
    TelegramConflict,
    TelegramError,
    TelegramForbidden,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorized,
)
from starport.adapters.telegram.ratelimit import RetryPolicy


@pytest.mark.parametrize(
    ("code", "description", "expected"),
    [
        (400, "Bad Request: message text is empty", TelegramBadRequest),
        (400, "Bad Request: chat not found", ChatNotFound),
        (401, "Unauthorized", TelegramUnauthorized),
        (403, "Forbidden: bot is not a member of the channel chat", TelegramForbidden),
        (403, "Forbidden: bot was blocked by the user", BotBlocked),
        (403, "Forbidden: user is deactivated", BotBlocked),
        (404, "Not Found", TelegramNotFound),
        (409, "Conflict: terminated by other getUpdates request", TelegramConflict),
        (418, "I'm a teapot", TelegramError),
    ],
)
async def test_an_error_reply_maps_to_its_exception(
    client: BotApiClient, api: FakeBotApi, code: int, description: str, expected: type
) -> None:
    api.error(code, description)

    with pytest.raises(expected) as caught:
        await client.send_message(42, "hi")

    error = caught.value
    assert type(error) is expected
    assert (error.method, error.error_code, error.description) == ("sendMessage", code, description)
    assert str(error) == f"sendMessage: {code} {description}"


def test_the_error_tree() -> None:
    assert issubclass(BotBlocked, TelegramForbidden)
    assert issubclass(ChatNotFound, TelegramBadRequest)
    for cls in (TelegramBadRequest, TelegramRetryAfter, TelegramServerError, TelegramConflict):
        assert issubclass(cls, TelegramError)


async def test_retry_after_comes_from_the_parameters(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    api.error(429, "Too Many Requests: retry after 120", {"retry_after": 120})

    with pytest.raises(TelegramRetryAfter) as caught:
        await client.get_me()

    assert caught.value.retry_after == 120
    assert recorder.slept == []  # longer than the 60 s we are willing to wait


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_a_non_json_5xx_is_a_server_error(
    make_client: MakeClient, api: FakeBotApi, status: int
) -> None:
    api.raw(status, "<html><body>502 Bad Gateway</body></html>")
    bot = make_client(policy=RetryPolicy(max_retries=0))

    with pytest.raises(TelegramServerError) as caught:
        await bot.get_me()

    assert caught.value.error_code == status
    assert "not a Bot API reply" in caught.value.description
    assert "502 Bad Gateway" in caught.value.description


async def test_a_non_json_4xx_maps_by_status(client: BotApiClient, api: FakeBotApi) -> None:
    api.raw(404, "404 page not found")

    with pytest.raises(TelegramNotFound):
        await client.get_me()


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"result": 1}', '{"ok": "yes"}'])
async def test_a_2xx_that_is_not_a_bot_api_reply_is_a_bad_response(
    client: BotApiClient, api: FakeBotApi, text: str
) -> None:
    api.raw(200, text)

    with pytest.raises(TelegramBadResponse):
        await client.get_me()
    assert len(api.requests) == 1


async def test_an_error_reply_without_code_or_description_uses_the_http_status(
    client: BotApiClient, api: FakeBotApi
) -> None:
    api.raw(403, '{"ok": false}')

    with pytest.raises(TelegramForbidden) as caught:
        await client.get_me()

    assert caught.value.error_code == 403
    assert caught.value.description == "HTTP 403"


async def test_refunding_an_already_refunded_charge_is_success(
    client: BotApiClient, api: FakeBotApi
) -> None:
    api.error(400, "Bad Request: CHARGE_ALREADY_REFUNDED")

    assert await client.refund_star_payment(7, "charge-1") is True
    assert api.methods == ["refundStarPayment"]


async def test_other_refund_errors_are_raised(client: BotApiClient, api: FakeBotApi) -> None:
    api.error(400, "Bad Request: CHARGE_NOT_FOUND")

    with pytest.raises(TelegramBadRequest, match="CHARGE_NOT_FOUND"):
        await client.refund_star_payment(7, "charge-1")


@pytest.mark.parametrize(
    "error",
    [
        TelegramRetryAfter("sendMessage", 429, "Too Many Requests", {"retry_after": 9}),
        BotBlocked("sendMessage", 403, "Forbidden: bot was blocked by the user"),
        TelegramNetworkError("getMe", None, "ConnectError: refused", request_sent=False),
    ],
)
def test_errors_survive_a_pickle_round_trip(error: TelegramError) -> None:
    # Task queues and process pools pickle exceptions.
    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.parameters == error.parameters
