"""The metrics hook hears every attempt, with the method, its outcome and how long it took."""

from __future__ import annotations

import httpx
import pytest
from tg_client_fakes import FakeBotApi, MakeClient, Recorder

from starport.adapters.telegram import BotApiClient, BotBlocked, InvalidInvoice, TelegramBadResponse


async def test_each_attempt_is_reported_with_its_outcome(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    api.error(429, "Too Many Requests", {"retry_after": 1})
    api.error(500, "Internal Server Error")
    api.fail(httpx.ConnectError("refused"))
    api.ok({"id": 1})

    await client.get_me()

    assert recorder.calls == [
        ("getMe", "retry_after"),
        ("getMe", "server_error"),
        ("getMe", "network_error"),
        ("getMe", "ok"),
    ]


@pytest.mark.parametrize(
    ("code", "description", "outcome"),
    [
        (400, "Bad Request: chat not found", "chat_not_found"),
        (400, "Bad Request: message is too long", "bad_request"),
        (401, "Unauthorized", "unauthorized"),
        (403, "Forbidden: bot was blocked by the user", "blocked"),
        (403, "Forbidden: bot is not a member of the channel chat", "forbidden"),
        (404, "Not Found", "not_found"),
        (409, "Conflict: can't use getUpdates method while webhook is active", "conflict"),
    ],
)
async def test_client_errors_are_reported_once(
    client: BotApiClient,
    api: FakeBotApi,
    recorder: Recorder,
    code: int,
    description: str,
    outcome: str,
) -> None:
    api.error(code, description)

    with pytest.raises(Exception, match=description):
        await client.send_message(42, "hi")

    assert recorder.calls == [("sendMessage", outcome)]


async def test_a_malformed_reply_is_reported(
    client: BotApiClient, api: FakeBotApi, recorder: Recorder
) -> None:
    api.raw(200, "<html>")

    with pytest.raises(TelegramBadResponse):
        await client.get_me()

    assert recorder.calls == [("getMe", "bad_response")]


async def test_an_invalid_invoice_is_never_a_call(client: BotApiClient, recorder: Recorder) -> None:
    with pytest.raises(InvalidInvoice):
        await client.send_invoice(42, "T", "D", "p", [], currency="XTR")

    assert recorder.calls == []


async def test_a_failing_hook_does_not_fail_the_call(
    make_client: MakeClient, api: FakeBotApi
) -> None:
    def broken(method: str, outcome: str, seconds: float) -> None:
        raise RuntimeError("prometheus is down")

    api.ok({"id": 1})
    api.error(403, "Forbidden: user is deactivated")
    bot = make_client(on_call=broken)

    assert await bot.get_me() == {"id": 1}
    with pytest.raises(BotBlocked):
        await bot.send_message(42, "hi")
