"""The stand-in Bot API, run as its own process: `python -m bench._standin --port P`.

A raw asyncio Protocol on uvloop with httptools parsing the requests (keep-alive, Content-Length
or chunked bodies), so it costs next to nothing next to the servers it answers. It serves
`POST/GET /bot<token>/<method>` with plausible results for the methods Starport and aiogram
call (`{"ok": true, "result": true}` for any other), takes JSON, form-urlencoded and multipart
bodies, and counts the calls per method; `GET /_counts` answers the counts as JSON (with
`answerPreCheckoutQuery:ok` for the answers that said yes); `GET /_last` the Unix time of each
method's last call.

For the fault suite (`bench.faults`), with `--control-port C`: `GET /_chats` (on either port)
answers the sendMessage calls per chat, `{"<chat id>": [confirmations, other messages, first
confirmation, last confirmation]}` (a confirmation is a text that starts with
`--confirmation-prefix`; the times are Unix seconds), and `GET /_mode?set=up|down|blackhole` on
the control port switches the Bot API port: `down` closes its listening socket and every
connection on it (connection refused), `blackhole` takes connections and requests and never
answers (what a black hole receives is counted as `blackholed`, not as a call), `up` serves again
(requests already swallowed stay unanswered)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import Counter
from typing import Any, cast
from urllib.parse import parse_qs

import httptools
import uvloop

COUNTS: Counter[str] = Counter()
CHATS: dict[int, list[float]] = {}  # chat id -> [confirmations, others, first, last confirmation]
LAST: dict[str, float] = {}  # method -> Unix time of its last call (`GET /_last`)
CONFIRMATION = ["Payment received"]  # the prefix of a confirmation's text (--confirmation-prefix)
_message_ids = itertools.count(1)
_BOT_PATH = re.compile(rb"^/bot[^/]+/([A-Za-z]+)")


_PART = re.compile(rb'name="([^"]+)"\r\n(?:[^\r\n]+\r\n)*\r\n(.*?)\r\n--', re.S)


def _params(body: bytes, content_type: bytes) -> dict[str, str]:
    """A Bot API call's parameters as text, whichever encoding the client chose."""
    if not body:
        return {}
    if content_type.startswith(b"application/json"):
        return {k: json.dumps(v) if isinstance(v, bool) else str(v)
                for k, v in json.loads(body).items()}
    if content_type.startswith(b"multipart/form-data"):
        return {k.decode(): v.decode() for k, v in _PART.findall(body)}
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}


def _result(method: str, params: dict[str, str]) -> Any:
    if method == "sendMessage":
        _per_chat(int(params.get("chat_id", 0)), params.get("text", ""))
        return {"message_id": next(_message_ids), "date": int(time.time()),
                "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                "text": params.get("text", "")}
    if method == "answerPreCheckoutQuery" and params.get("ok") == "true":
        COUNTS["answerPreCheckoutQuery:ok"] += 1
    if method == "createInvoiceLink":
        return f"https://t.me/$bench{next(_message_ids)}"
    if method == "getMe":
        return {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
    if method == "getWebhookInfo":
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    return True


def _per_chat(chat_id: int, text: str) -> None:
    counts = CHATS.setdefault(chat_id, [0, 0, 0.0, 0.0])
    if text.startswith(CONFIRMATION[0]):
        now = time.time()
        counts[0] += 1
        counts[2] = counts[2] or now
        counts[3] = now
    else:
        counts[1] += 1


def answer(url: bytes, body: bytes, content_type: bytes) -> tuple[int, bytes]:
    if url.startswith(b"/_counts"):
        return 200, json.dumps(COUNTS).encode()
    if url.startswith(b"/_chats"):
        return 200, json.dumps(CHATS).encode()
    if url.startswith(b"/_last"):
        return 200, json.dumps(LAST).encode()
    match = _BOT_PATH.match(url)
    if match is None:
        return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
    method = match.group(1).decode()
    COUNTS[method] += 1
    LAST[method] = time.time()
    try:
        result = _result(method, _params(body, content_type))
    except (ValueError, AttributeError, UnicodeDecodeError) as exc:
        return 400, json.dumps({"ok": False, "error_code": 400,
                                "description": f"Bad Request: {exc}"}).encode()
    return 200, json.dumps({"ok": True, "result": result}).encode()


class BotPort:
    """The Bot API's listening socket and its connections, switched by `/_mode` (faults)."""

    port = 0
    mode = "up"  # up | down | blackhole
    server: asyncio.Server | None = None
    connections: set[Connection] = set()  # noqa: RUF012 (one process, one port)

    @classmethod
    async def open(cls) -> None:
        loop = asyncio.get_running_loop()
        cls.server = await loop.create_server(Connection, "127.0.0.1", cls.port, backlog=1024)

    @classmethod
    async def switch(cls, mode: str) -> None:
        if mode == "down" and cls.server is not None:
            cls.server.close()
            cls.server = None
            for conn in list(cls.connections):
                if conn.transport is not None:
                    conn.transport.abort()
        elif mode != "down" and cls.server is None:
            await cls.open()
        cls.mode = mode


class Connection(asyncio.Protocol):
    def __init__(self, control: bool = False) -> None:
        self.control = control
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.content_type = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        if not self.control:
            BotPort.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        BotPort.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.url, self.content_type, self.body = b"", b"", []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-type":
            self.content_type = value.lower()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.control and self.url.startswith(b"/_mode"):
            mode = parse_qs(self.url.partition(b"?")[2].decode()).get("set", [""])[0]
            if mode not in ("up", "down", "blackhole"):
                self._respond(400, b'{"ok":false,"description":"set=up|down|blackhole"}')
                return
            task = asyncio.get_running_loop().create_task(BotPort.switch(mode))
            task.add_done_callback(self._switched)
            return
        if not self.control and BotPort.mode == "blackhole":
            COUNTS["blackholed"] += 1  # swallowed: never answered, never performed
            return
        status, payload = answer(self.url, b"".join(self.body), self.content_type)
        self._respond(status, payload)

    def _switched(self, task: asyncio.Task[None]) -> None:
        error = task.exception()
        self._respond(500 if error else 200, json.dumps(
            {"ok": error is None, "mode": BotPort.mode, "error": str(error or "")}).encode())

    def _respond(self, status: int, payload: bytes) -> None:
        keep = self.parser.should_keep_alive()
        close = "" if keep else "Connection: close\r\n"
        head = (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                f"{close}\r\n").encode()
        assert self.transport is not None
        self.transport.write(head + payload)
        if not keep:
            self.transport.close()


async def serve(port: int, control_port: int | None = None) -> None:
    loop = asyncio.get_running_loop()
    if control_port is not None:
        await loop.create_server(lambda: Connection(control=True), "127.0.0.1", control_port,
                                 backlog=128)
    BotPort.port = port
    await BotPort.open()
    await asyncio.Event().wait()  # until the process is stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, default=None,
                        help="serves /_mode (and /_counts, /_chats) whatever the mode")
    parser.add_argument("--confirmation-prefix", default=CONFIRMATION[0])
    args = parser.parse_args()
    CONFIRMATION[0] = args.confirmation_prefix
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(serve(args.port, args.control_port))


if __name__ == "__main__":
    main()
