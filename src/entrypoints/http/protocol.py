"""The server's HTTP/1.1 protocol: uvicorn's, plus a deadline for each request's head.

uvicorn closes a keep-alive connection that stays idle after a response, but not one that never
sends a request, nor one that sends its head a byte at a time: hundreds of those would hold the
process's file descriptors until it can accept nothing. Here a request's head must be complete
within HEAD_TIMEOUT seconds of the connection, or of its first byte.

And a connection over the cap (`limit_concurrency`) makes room: the connection that has waited
longest for its request head is closed. uvicorn only refuses a request over the cap, once it
has arrived, so silent connections alone could take every descriptor until the deadline (the
fault suite saw new connections dropped for 9 s, and a job fail with EMFILE)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_TIMEOUT = 10.0
log = logging.getLogger(__name__)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    head_timeout = HEAD_TIMEOUT
    _head_deadline: asyncio.TimerHandle | None = None
    # Connections waiting for a request head, oldest first (one process: one event loop).
    _waiting: ClassVar[dict[GuardedHttpToolsProtocol, None]] = {}
    evicted: ClassVar[int] = 0
    _last_report: ClassVar[float] = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        cap = self.limit_concurrency
        if cap is not None and len(self.connections) >= cap:  # uvicorn refuses at the cap
            self._make_room()

    def _make_room(self) -> None:
        oldest = next((p for p in self._waiting if p is not self), None)
        if oldest is None:
            return
        oldest._disarm()
        oldest.transport.close()
        # counted out now, not when the loop gets to its connection_lost: a request arriving
        # on the new connection in the meantime would find the cap still reached (a 503)
        self.connections.discard(oldest)
        GuardedHttpToolsProtocol.evicted += 1
        now = time.monotonic()
        if now - GuardedHttpToolsProtocol._last_report > 10:  # one line per burst
            GuardedHttpToolsProtocol._last_report = now
            log.warning("http: at %s connections; closing the ones waiting longest for a "
                        "request (%d so far)", self.limit_concurrency,
                        GuardedHttpToolsProtocol.evicted)

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
            self._waiting[self] = None

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None
        self._waiting.pop(self, None)

    def _too_slow(self) -> None:
        self._head_deadline = None
        self._waiting.pop(self, None)
        if not self.transport.is_closing():
            self.transport.close()
