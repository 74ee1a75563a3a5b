"""The Bot API spec check itself: a call off the spec is caught (so a passing run means
something)."""

from __future__ import annotations

from features.drivers import http_watch
from features.drivers.http_server import Server


async def test_a_call_off_the_bot_api_spec_is_caught(server: Server) -> None:
    token = server.config.telegram_bot_token or ""

    status, _ = await server.telegram.call(token, "sendMessage", {"chat_id": 1})  # no text
    unknown, _ = await server.telegram.call(token, "sendStars", {})

    found = http_watch.violations()
    http_watch.discard()  # made on purpose: not Starport's, and must not fail this test
    assert (status, unknown) == (400, 404)
    assert [line.split(":")[0] for line in found] == ["sendMessage", "sendStars"]
