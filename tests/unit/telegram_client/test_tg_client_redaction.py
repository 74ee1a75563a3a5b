"""The bot token never shows in an exception, a repr, a traceback or a log line."""

from __future__ import annotations

import logging
import socket
import traceback

import httpx
import pytest
import structlog
from tg_client_fakes import TOKEN, FakeBotApi, MakeClient

from starport.adapters.telegram import (
    BotApiClient,
    BotBlocked,
    TelegramNetworkError,
    TelegramServerError,
)
from starport.adapters.telegram.redact import REDACTED, RedactingFilter, redact


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _everything_said_about(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


async def test_a_refused_connection_does_not_leak_the_token() -> None:
    # Given a client pointed at a closed port on loopback, retrying nothing
    port = _closed_port()
    async with BotApiClient(TOKEN, base_url=f"http://127.0.0.1:{port}", max_retries=0) as bot:
        # When a call fails to connect
        with pytest.raises(TelegramNetworkError) as caught:
            await bot.get_me()

    # Then the error says what happened, but nowhere the token
    error = caught.value
    assert "ConnectorError: Cannot connect to host 127.0.0.1" in str(error)
    assert error.request_sent is False
    assert error.__cause__ is None and error.__context__ is None
    assert TOKEN not in _everything_said_about(error)


async def test_a_token_echoed_in_an_error_reply_is_redacted(
    client: BotApiClient, api: FakeBotApi
) -> None:
    api.error(500, f"proxy failed for /bot{TOKEN}/getMe", times=4)

    with (
        structlog.testing.capture_logs() as logs,
        pytest.raises(TelegramServerError) as caught,
    ):
        await client.get_me()

    assert TOKEN not in _everything_said_about(caught.value)
    assert f"/bot{REDACTED}/getMe" in caught.value.description
    assert logs and TOKEN not in repr(logs)


async def test_a_token_in_a_non_json_body_is_redacted(
    make_client: MakeClient, api: FakeBotApi
) -> None:
    api.raw(502, f"<h1>upstream https://api.telegram.org/bot{TOKEN}/getMe</h1>")

    with pytest.raises(TelegramServerError) as caught:
        await make_client(max_retries=0, policy=None).get_me()

    assert TOKEN not in _everything_said_about(caught.value)


async def test_log_lines_carry_method_outcome_and_duration_but_no_url(
    client: BotApiClient, api: FakeBotApi
) -> None:
    api.error(403, "Forbidden: bot was blocked by the user")

    with structlog.testing.capture_logs() as logs, pytest.raises(BotBlocked):
        await client.send_message(42, "hi")

    (line,) = logs
    assert line["method"] == "sendMessage"
    assert line["outcome"] == "blocked"
    assert line["duration_ms"] >= 0
    assert "http" not in repr(line)


async def test_the_client_repr_has_no_token() -> None:
    async with BotApiClient(TOKEN) as bot:
        assert TOKEN not in repr(bot)
        assert "api.telegram.org" in repr(bot)


@pytest.mark.parametrize(
    "text",
    [
        f"POST https://api.telegram.org/bot{TOKEN}/getMe",
        "POST https://api.telegram.org/bot123456789%3AAAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
        "another bot: 987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    ],
)
def test_redact_catches_raw_encoded_and_unknown_tokens(text: str) -> None:
    cleaned = redact(text, TOKEN)

    assert "HdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in cleaned
    assert REDACTED in cleaned


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "sendMessage: 400 Bad Request: chat 12345678 not found at 10:30"

    assert redact(text, TOKEN) == text


async def test_httpx_request_logs_are_redacted(
    client: BotApiClient, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx logs every request URL at INFO; the client installs a redacting filter on it.
    with caplog.at_level(logging.INFO, logger="httpx"):
        await client.get_me()

    messages = [record.getMessage() for record in caplog.records if record.name == "httpx"]
    assert messages and all(TOKEN not in message for message in messages)
    assert any(f"bot{REDACTED}/getMe" in message for message in messages)


def test_the_filter_rewrites_formatted_records() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", ("POST", f"/bot{TOKEN}/x"), None
    )

    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == f"HTTP Request: POST /bot{REDACTED}/x"


async def test_an_http_error_inside_httpx_is_wrapped(
    make_client: MakeClient, api: FakeBotApi
) -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/getMe"
    api.fail(httpx.ReadError(f"broken pipe while talking to {url}"))

    with pytest.raises(TelegramNetworkError) as caught:
        await make_client(max_retries=0, policy=None).get_me()

    assert "ReadError" in caught.value.description
    assert TOKEN not in _everything_said_about(caught.value)
