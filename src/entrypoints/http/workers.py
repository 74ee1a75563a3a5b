"""`starport serve --workers N`: N server processes, each accepting on a listening socket of its
own, all bound to the one address with SO_REUSEPORT, so that the kernel spreads new connections
across them by their addresses.

Why not uvicorn's own workers: they share one listening socket, and whichever process wakes
first accepts every connection waiting. Telegram keeps its webhook connections open (up to 40,
`max_connections`), as does a proxy in front; with a shared socket one worker took most of them
and did most of the work (measured with bench/webhook.py: one worker at 77% of a core, the other
at 10%). The parent binds every socket before any worker starts (a busy port fails at once,
including one held by another process with SO_REUSEPORT), keeps one worker per socket, replaces
a worker that dies (its socket stays open meanwhile: connections wait in its backlog, none is
refused), and on SIGINT or SIGTERM stops them all, each finishing what it serves."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger(__name__)

STARTUP_FAILURE = 3  # uvicorn's exit status for a worker that could not start
STOP_GRACE = 30.0  # seconds a worker may take to finish its requests before it is killed
BACKLOG = 2048


class PortInUse(OSError):
    pass


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets listening on (host, port) together. A port anything else listens on,
    with or without SO_REUSEPORT, is refused: a probe bound without the option finds it."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise PortInUse(exc.errno, f"{host}:{port} is in use ({exc.strerror})") from exc
    made: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, kind, proto)
            made.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
            sock.set_inheritable(True)
    except BaseException:
        for sock in made:
            sock.close()
        raise
    return made


def serve_one(options: dict[str, Any], sock: socket.socket) -> None:
    """A worker: the app from the environment (`asgi:create`), on its own socket."""
    import uvicorn

    config = uvicorn.Config("starport.entrypoints.http.asgi:create", factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])


class Workers:
    """One process per socket, kept alive until told to stop."""

    def __init__(self, options: dict[str, Any], sockets: list[socket.socket]) -> None:
        self._options = options
        self._sockets = sockets
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[BaseProcess] = []
        self._stopping = False

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT,
                                                                      signal.SIGTERM)}
        status = 0
        try:
            self._processes = [self._start(sock) for sock in self._sockets]
            log.info("serving with %d workers: %s", len(self._processes),
                     ", ".join(str(p.pid) for p in self._processes))
            while not self._stopping:
                time.sleep(0.5)
                status = self._replace_the_dead()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for sock in self._sockets:
                sock.close()
        return status

    def _start(self, sock: socket.socket) -> BaseProcess:
        process = self._context.Process(target=serve_one, args=(self._options, sock),
                                        name="starport-worker")
        process.start()
        return process

    def _stop(self, signum: int, frame: Any) -> None:
        self._stopping = True

    def _replace_the_dead(self) -> int:
        for index, process in enumerate(self._processes):
            if process.is_alive() or self._stopping:
                continue
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # would fail the same way again
                log.error("worker %s could not start; stopping", process.pid)
                self._stopping = True
                return 1
            log.warning("worker %s ended (exit status %s); starting another", process.pid,
                        process.exitcode)
            self._processes[index] = self._start(self._sockets[index])
        return 0

    def _stop_all(self) -> None:
        for process in self._processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)  # uvicorn's graceful shutdown
        deadline = time.monotonic() + STOP_GRACE
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("worker %s did not stop in %.0f s; killing it", process.pid,
                            STOP_GRACE)
                process.kill()
                process.join()
