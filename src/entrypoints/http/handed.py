"""A worker of `starport serve --workers N`: uvicorn serving the connections the parent accepted
and handed over (entrypoints/http/workers.py), one file descriptor per message on a Unix socket
pair, instead of accepting on a listening socket of its own.

Over the same socket the worker tells the parent of each connection that closed (one byte), so
that the parent hands the next one to the worker serving the fewest. When the parent is gone
(the socket reads end-of-file) the worker stops as on SIGTERM: it finishes what it serves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

import uvicorn

log = logging.getLogger(__name__)

CLOSED = b"-"  # worker -> parent: one connection it served has closed
HANDED = b"c"  # parent -> worker: the message carrying one connection's descriptor
MAX_FDS = 32  # descriptors taken per read


class HandedServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self._channel = channel
        self._opening: set[asyncio.Task[Any]] = set()
        self._reading = False

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app's lifespan; no listening socket
        if self.should_exit:
            return
        loop = asyncio.get_running_loop()
        counted = _counted(self.config.http_protocol_class, self._closed)
        config, state = self.config, self.server_state

        def protocol() -> asyncio.Protocol:
            return counted(config=config, server_state=state,  # type: ignore[call-arg]
                           app_state=self.lifespan.state, _loop=loop)

        self._protocol = protocol
        self._channel.setblocking(False)
        loop.add_reader(self._channel.fileno(), self._receive)
        self._reading = True
        log.info("worker serving the connections the parent hands over")

    def _receive(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self._channel, MAX_FDS, MAX_FDS)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # the parent's end is gone
                log.warning("worker: the parent's socket failed (%s); stopping", exc)
                data, fds = b"", []
            for fd in fds:
                sock = socket.socket(fileno=fd)
                sock.setblocking(False)
                task = loop.create_task(loop.connect_accepted_socket(self._protocol, sock))
                self._opening.add(task)
                task.add_done_callback(self._opened)
            if not data:  # end of file: the parent stopped, or died
                self._stop_reading()
                self.should_exit = True
                return

    def _opened(self, task: asyncio.Task[Any]) -> None:
        self._opening.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("worker: a handed connection could not be served: %r",
                        task.exception())

    def _closed(self) -> None:
        if self._reading:  # full or gone: the parent counts a little high meanwhile
            with contextlib.suppress(OSError):
                self._channel.send(CLOSED)

    def _stop_reading(self) -> None:
        if self._reading:
            self._reading = False
            asyncio.get_running_loop().remove_reader(self._channel.fileno())

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._stop_reading()  # none taken from now on (any sent meanwhile close with us)
        await super().shutdown(sockets=sockets)


def _counted(protocol_class: Any, closed: Any) -> Any:
    """uvicorn's protocol, telling the worker when its connection is lost."""

    class Counted(protocol_class):  # type: ignore[misc, valid-type]
        def connection_lost(self, exc: Exception | None) -> None:
            super().connection_lost(exc)
            closed()

    Counted.__name__ = f"Counted{protocol_class.__name__}"
    return Counted
