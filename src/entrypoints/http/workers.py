"""`starport serve --workers N`: N server processes behind one listening socket. The parent
accepts every connection and hands it to the worker serving the fewest open connections (its
descriptor sent over a Unix socket pair, `handed.py` on the worker's side); each worker says
when one of its connections closes.

Why not the kernel's spreading: uvicorn's own workers share one listening socket, and whichever
process wakes first accepts every connection waiting (measured with bench/webhook.py: one worker
at 77% of a core, the other at 10%). A socket per worker bound with SO_REUSEPORT spreads new
connections by a hash of their addresses, so 32 connections opened together split as coins
fall, 20 and 12 or worse one time in five (20 and 12 seen under bench/webhook.py), and stay so:
Telegram keeps its webhook connections open (up to 40, `max_connections`), as does a proxy in
front, so the worker with more served more for as long as they lasted, and its payers waited
longer. Handed over, 32 connections split 16 and 16, and connections that close make room
where they closed.

The parent binds before any worker starts (a busy port fails at once), replaces a worker that
dies (meanwhile the others take every new connection; none is refused), and on SIGINT or
SIGTERM stops them all, each finishing what it serves. A worker whose parent is gone stops."""

from __future__ import annotations

import logging
import multiprocessing
import os
import selectors
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from typing import Any

from starport.entrypoints.http.handed import CLOSED, HANDED

log = logging.getLogger(__name__)

STARTUP_FAILURE = 3  # uvicorn's exit status for a worker that could not start
STOP_GRACE = 30.0  # seconds a worker may take to finish its requests before it is killed
STEADY = 10.0  # a worker that ran this long before it ended is replaced at once
MAX_BACKOFF = 30.0  # seconds between replacements of a worker that keeps ending early
BACKLOG = 2048
TICK = 0.5  # seconds between looks at the workers' processes
ACCEPTS = 64  # connections accepted in a row before the workers' sockets are read again


class PortInUse(OSError):
    pass


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket every connection arrives on; a port anything else listens on is refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn binds
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise PortInUse(exc.errno, f"{host}:{port} is in use ({exc.strerror})") from exc
    sock.setblocking(False)
    return sock


def serve_one(options: dict[str, Any], channel: socket.socket) -> None:
    """A worker: the app from the environment (`asgi:create`), on the connections handed."""
    import uvicorn

    from starport.entrypoints.http.handed import HandedServer

    config = uvicorn.Config("starport.entrypoints.http.asgi:create", factory=True, **options)
    HandedServer(config, channel).run()


class Dispatcher:
    """The parent's side of the workers' sockets: which worker serves how many connections,
    and the next connection to the one serving the fewest (ties in turn)."""

    def __init__(self, listener: socket.socket, slots: int) -> None:
        self.listener = listener
        self.channels: list[socket.socket | None] = [None] * slots
        self.open = [0] * slots  # connections handed to each worker and not closed yet
        self._turn = 0
        self._selector = selectors.DefaultSelector()
        self._listening = False

    def attach(self, index: int) -> socket.socket:
        """A new socket pair for the worker about to start in `index`: its end returned."""
        self.detach(index)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ours.setblocking(False)
        self.channels[index] = ours
        self.open[index] = 0
        self._selector.register(ours, selectors.EVENT_READ, index)
        self._listen(True)
        return theirs

    def detach(self, index: int) -> None:
        """The worker in `index` is gone: nothing more is handed to it."""
        ours = self.channels[index]
        if ours is None:
            return
        self._selector.unregister(ours)
        ours.close()
        self.channels[index] = None
        self.open[index] = 0
        if not any(self.channels):  # connections wait in the backlog for a worker
            self._listen(False)

    def _listen(self, on: bool) -> None:
        if on != self._listening:
            if on:
                self._selector.register(self.listener, selectors.EVENT_READ, None)
            else:
                self._selector.unregister(self.listener)
            self._listening = on

    def serve(self, timeout: float) -> None:
        """Wait up to `timeout` for connections and the workers' news, and deal with them."""
        for key, _ in self._selector.select(timeout):
            if key.data is None:
                self._accept()
            else:
                self._read(key.data)

    def _accept(self) -> None:
        for _ in range(ACCEPTS):
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors, say: try again on the next wake
                log.warning("serve: could not accept a connection: %s", exc)
                return
            with conn:  # the worker has its own copy once sent
                self.hand(conn)

    def hand(self, conn: socket.socket) -> int | None:
        """Send `conn` to the worker serving the fewest; None if no worker could take it."""
        order = sorted((n, (i - self._turn) % len(self.open), i)
                       for i, n in enumerate(self.open) if self.channels[i] is not None)
        for _, _, index in order:
            channel = self.channels[index]
            assert channel is not None
            try:
                socket.send_fds(channel, [HANDED], [conn.fileno()])
            except (BrokenPipeError, ConnectionResetError):  # that worker is gone
                self.detach(index)
                continue
            except OSError as exc:  # not reading (its buffer full), or too many in flight
                log.debug("serve: worker %d could not take a connection: %s", index, exc)
                continue
            self.open[index] += 1
            self._turn = (index + 1) % len(self.open)
            return index
        log.warning("serve: no worker could take a connection; closed it")
        return None

    def _read(self, index: int) -> None:
        channel = self.channels[index]
        if channel is None:  # detached earlier in this wake (a hand-over found it gone)
            return
        try:
            data = channel.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the worker is gone; the supervisor replaces it
            self.detach(index)
            return
        self.open[index] = max(0, self.open[index] - data.count(CLOSED))

    def close(self) -> None:
        for index in range(len(self.channels)):
            self.detach(index)
        self._listen(False)
        self._selector.close()


class Workers:
    """One process per slot, kept alive until told to stop, each handed connections."""

    def __init__(self, options: dict[str, Any], listener: socket.socket, count: int) -> None:
        self._options = options
        self._listener = listener
        self._dispatch = Dispatcher(listener, count)
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[BaseProcess] = []
        self._started = [0.0] * count  # when each slot's current worker started
        self._backoff = [0.0] * count  # the wait before replacing it if it ends early
        self._due: list[float | None] = [None] * count  # its replacement's start
        self._stopping = False

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT,
                                                                      signal.SIGTERM)}
        status = 0
        try:
            for index in range(len(self._started)):  # one by one: all stopped if one fails
                self._processes.append(self._start(index))
            log.info("serving with %d workers: %s", len(self._processes),
                     ", ".join(str(p.pid) for p in self._processes))
            looked = time.monotonic()
            while not self._stopping:
                self._dispatch.serve(TICK)
                if time.monotonic() - looked >= TICK:
                    looked = time.monotonic()
                    status = self._replace_the_dead()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._dispatch.close()
            self._listener.close()
        return status

    def _start(self, index: int) -> BaseProcess:
        channel = self._dispatch.attach(index)
        process = self._context.Process(target=serve_one, args=(self._options, channel),
                                        name="starport-worker")
        try:
            process.start()
        finally:
            channel.close()  # the worker has its copy: its end of file is the worker's end
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
            self._dispatch.detach(index)
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
