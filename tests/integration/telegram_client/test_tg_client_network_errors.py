"""The client's own HTTP (aiohttp) over real sockets, when the Bot API's end misbehaves: what
failed before the request left may be sent again, whatever the method; what failed after it
left is sent again only if repeating it is harmless (a message is never sent twice)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from starport.adapters.telegram import BotApiClient, TelegramNetworkError

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """A loopback server that reads each request whole, then does what it is told."""

    def __init__(self) -> None:
        self.requests = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self, then: str) -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            self.requests += 1
            if then == "hang":
                await asyncio.sleep(30)
            writer.close()  # "close": hung up without a word

        self._server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    made = Server()
    yield made
    await made.stop()


def client(port: int, sleeps: list[float], timeout: float = 10.0) -> BotApiClient:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return BotApiClient(TOKEN, base_url=f"http://127.0.0.1:{port}", sleep=sleep,
                        max_retries=2, timeout=timeout)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_refused_connection_is_unsent_so_even_a_message_is_tried_again() -> None:
    sleeps: list[float] = []
    async with client(closed_port(), sleeps) as bot:
        with pytest.raises(TelegramNetworkError) as caught:
            await bot.send_message(7, "hello")
    assert caught.value.request_sent is False
    assert len(sleeps) == 2  # both retries taken: nothing can have been sent


@pytest.mark.parametrize("then", ["close", "hang"])
async def test_a_request_that_left_is_not_sent_again_unless_harmless(
        server: Server, then: str) -> None:
    await server.start(then)
    sleeps: list[float] = []
    async with client(server.port, sleeps, timeout=0.3) as bot:
        with pytest.raises(TelegramNetworkError) as caught:
            await bot.send_message(7, "hello")
        assert caught.value.request_sent is True
        assert (server.requests, sleeps) == (1, [])  # the message may have gone: once
        with pytest.raises(TelegramNetworkError):
            await bot.get_me()  # a read: tried again
    assert server.requests == 1 + 3
    assert len(sleeps) == 2


async def test_the_session_is_closed_with_the_client_and_opened_again_on_use(
        server: Server) -> None:
    await server.start("close")
    sleeps: list[float] = []
    bot = client(server.port, sleeps, timeout=0.3)
    with pytest.raises(TelegramNetworkError):
        await bot.get_me()
    session = bot._session
    assert session is not None and not session.closed
    await bot.aclose()
    assert session.closed and bot._session is None
    with pytest.raises(TelegramNetworkError):
        await bot.get_me()  # a client used after aclose opens a new session
    await bot.aclose()


async def test_a_proxy_named_by_the_environment_carries_the_calls(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Read once, when the client opens its session (not from the environment per call)."""
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)
        seen.append(head.split(b"\r\n", 1)[0])
        body = b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"P"}}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        async with BotApiClient(TOKEN, base_url="http://bot-api.invalid") as bot:
            me = await bot.get_me()
            monkeypatch.setenv("NO_PROXY", "bot-api.invalid")  # too late for this session
            assert (await bot.get_me())["first_name"] == "P"
        assert me["first_name"] == "P"
        line = b"POST http://bot-api.invalid/bot" + TOKEN.encode() + b"/getMe HTTP/1.1"
        assert seen == [line, line]
    finally:
        server.close()


def test_no_proxy_exempts_a_host_from_the_environments_proxy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from starport.adapters.telegram.transport import env_proxy

    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert env_proxy("https://api.telegram.org/bot1:x/getMe") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    assert env_proxy("https://api.telegram.org/bot1:x/getMe") == "http://proxy:3128"
    monkeypatch.setenv("NO_PROXY", "example.com,api.telegram.org")
    assert env_proxy("https://api.telegram.org/bot1:x/getMe") is None
