"""A scripted fake of the Bot API for httpx.MockTransport, and a recorder of sleeps and calls."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

MakeClient = Callable[..., Any]  # (**BotApiClient options) -> BotApiClient

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@dataclass
class FakeBotApi:
    """Records every request; answers from a queue of replies, then `{"ok": true}`."""

    requests: list[httpx.Request] = field(default_factory=list)
    replies: deque[httpx.Response | Exception] = field(default_factory=deque)

    def ok(self, result: Any = True, times: int = 1) -> None:
        for _ in range(times):
            self.replies.append(httpx.Response(200, json={"ok": True, "result": result}))

    def error(
        self, code: int, description: str, parameters: dict[str, Any] | None = None, times: int = 1
    ) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters is not None:
            body["parameters"] = parameters
        for _ in range(times):
            self.replies.append(httpx.Response(code, json=body))

    def raw(self, status: int, text: str) -> None:
        self.replies.append(httpx.Response(status, text=text))

    def fail(self, exc: Exception, times: int = 1) -> None:
        self.replies.extend([exc] * times)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.popleft() if self.replies else httpx.Response(200, json={"ok": True})
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def methods(self) -> list[str]:
        return [r.url.path.rsplit("/", 1)[-1] for r in self.requests]

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


@dataclass
class Recorder:
    slept: list[float] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def on_call(self, method: str, outcome: str, seconds: float) -> None:
        assert seconds >= 0
        self.calls.append((method, outcome))
