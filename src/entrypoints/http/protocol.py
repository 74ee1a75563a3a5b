"""The server's HTTP/1.1 protocol: uvicorn's, plus a deadline for each request's head.

uvicorn closes a keep-alive connection that stays idle after a response, but not one that never
sends a request, nor one that sends its head a byte at a time: hundreds of those would hold the
process's file descriptors until it can accept nothing. Here a request's head must be complete
within HEAD_TIMEOUT seconds of the connection, or of its first byte."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_TIMEOUT = 10.0


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    head_timeout = HEAD_TIMEOUT
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.head_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()
