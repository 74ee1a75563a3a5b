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
STEADY = 10.0  # a worker that ran this long before it ended is replaced at once
MAX_BACKOFF = 30.0  # seconds between replacements of a worker that keeps ending early
BACKLOG = 2048


class PortInUse(OSError):
    pass


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets listening on (host, port) together. A port anything else listens on,
    with or without SO_REUSEPORT, is refused: a probe bound without the option finds it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn binds
    address = (host, port)
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise PortInUse(exc.errno, f"{host}:{port} is in use ({exc.strerror})") from exc
    made: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
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
        self._started = [0.0] * len(sockets)  # when each socket's current worker started
        self._backoff = [0.0] * len(sockets)  # the wait before replacing it if it ends early
        self._due: list[float | None] = [None] * len(sockets)  # its replacement's start
        self._stopping = False

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT,
                                                                      signal.SIGTERM)}
        status = 0
        try:
            for index in range(len(self._sockets)):  # one by one: all stopped if one fails
                self._processes.append(self._start(index))
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

    def _start(self, index: int) -> BaseProcess:
        process = self._context.Process(target=serve_one,
                                        args=(self._options, self._sockets[index]),
                                        name="starport-worker")
        process.start()
        self._started[index] = time.monotonic()
        return process

    def _stop(self, signum: int, frame: Any) -> None:
        self._stopping = True

    def _replace_the_dead(self) -> int:
        """A worker that ended is replaced: at once if it had run a while, else after a wait
        that doubles each time (up to 30 s). A first worker that could not start stops the
        server (the next would fail the same way); a replacement that could not start is
        tried again, the others serving meanwhile."""
        now = time.monotonic()
        for index, process in enumerate(self._processes):
            if self._stopping:
                break
            due = self._due[index]
            if due is not None:
                if now >= due:
                    self._due[index] = None
                    self._processes[index] = self._start(index)
                continue
            if process.is_alive():
                continue
            process.join()
            first = self._backoff[index] == 0.0  # never replaced yet
            if process.exitcode == STARTUP_FAILURE and first:
                log.error("worker %s could not start; stopping", process.pid)
                self._stopping = True
                return 1
            ran = now - self._started[index]
            self._backoff[index] = 0.5 if ran >= STEADY else min(
                MAX_BACKOFF, max(1.0, self._backoff[index] * 2))
            log.warning("worker %s ended (exit status %s) after %.0f s; another in %.1f s",
                        process.pid, process.exitcode, ran, self._backoff[index])
            self._due[index] = now + self._backoff[index]
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
