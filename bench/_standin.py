"""The stand-in Bot API, run as its own process: `python -m bench._standin --port P`.

A raw asyncio Protocol on uvloop with httptools parsing the requests (keep-alive, Content-Length
or chunked bodies), so it costs next to nothing next to the servers it answers. It serves
`POST/GET /bot<token>/<method>` with plausible results for the methods Starport and aiogram
call (`{"ok": true, "result": true}` for any other), takes JSON, form-urlencoded and multipart
bodies, and counts the calls per method; `GET /_counts` answers the counts as JSON (with
`answerPreCheckoutQuery:ok` for the answers that said yes)."""

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


def answer(url: bytes, body: bytes, content_type: bytes) -> tuple[int, bytes]:
    if url.startswith(b"/_counts"):
        return 200, json.dumps(COUNTS).encode()
    match = _BOT_PATH.match(url)
    if match is None:
        return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
    method = match.group(1).decode()
    COUNTS[method] += 1
    try:
        result = _result(method, _params(body, content_type))
    except (ValueError, AttributeError, UnicodeDecodeError) as exc:
        return 400, json.dumps({"ok": False, "error_code": 400,
                                "description": f"Bad Request: {exc}"}).encode()
    return 200, json.dumps({"ok": True, "result": result}).encode()


class Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.content_type = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

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
        status, payload = answer(self.url, b"".join(self.body), self.content_type)
        keep = self.parser.should_keep_alive()
        close = "" if keep else "Connection: close\r\n"
        head = (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                f"{close}\r\n").encode()
        assert self.transport is not None
        self.transport.write(head + payload)
        if not keep:
            self.transport.close()


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Connection, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(serve(args.port))


if __name__ == "__main__":
    main()
