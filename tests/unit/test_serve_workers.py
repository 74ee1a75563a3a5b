"""`serve --workers`: the parent's rules for a worker that ends, with stand-in processes, and
how it hands connections to workers, over real sockets (entrypoints/http/workers.py); the real
processes are in tests/e2e/test_e2e_serve_cli.py."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from starport.entrypoints.http import workers as w


class FakeProcess:
    def __init__(self, pid: int) -> None:
        self.pid, self.exitcode, self.alive = pid, None, True

    def is_alive(self) -> bool:
        return self.alive

    def join(self, timeout: float | None = None) -> None:
        pass

    def end(self, status: int) -> None:
        self.alive, self.exitcode = False, status


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def supervisor(monkeypatch: pytest.MonkeyPatch) -> tuple[w.Workers, list[FakeProcess], Clock]:
    clock = Clock()
    monkeypatch.setattr(w.time, "monotonic", clock)
    started: list[FakeProcess] = []
    sup = w.Workers({}, socket.socket(), 2)

    def start(index: int) -> Any:
        process = FakeProcess(len(started) + 1)
        started.append(process)
        sup._started[index] = clock()
        return process

    monkeypatch.setattr(sup, "_start", start)
    for index in range(2):
        sup._processes.append(sup._start(index))
    yield sup, started, clock
    sup._dispatch.close()
    sup._listener.close()


def test_a_first_worker_that_cannot_start_stops_the_server(supervisor: Any) -> None:
    sup, started, _ = supervisor
    started[0].end(w.STARTUP_FAILURE)
    assert sup._replace_the_dead() == 1 and sup._stopping


def test_a_worker_that_ran_a_while_is_replaced_at_once(supervisor: Any) -> None:
    sup, started, clock = supervisor
    clock.now += 3600
    started[1].end(-9)
    assert sup._replace_the_dead() == 0
    clock.now += 0.5
    sup._replace_the_dead()
    assert len(started) == 3 and sup._processes[1] is started[2]


def test_a_replacement_that_cannot_start_is_retried_later_and_later(supervisor: Any) -> None:
    sup, started, clock = supervisor
    clock.now += 3600
    started[0].end(1)  # a crash after an hour
    sup._replace_the_dead()
    clock.now += 0.5
    sup._replace_the_dead()
    waits = []
    for _ in range(8):  # each replacement fails at start, as a broken deploy would
        started[-1].end(w.STARTUP_FAILURE)
        assert sup._replace_the_dead() == 0 and not sup._stopping
        waits.append(sup._backoff[0])
        clock.now += sup._backoff[0]
        sup._replace_the_dead()
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert started[1].alive  # the other worker served all along


@pytest.fixture
def dispatch() -> Any:
    listener = w.listening_socket("127.0.0.1", 0)
    d = w.Dispatcher(listener, 2)
    ends = [d.attach(0), d.attach(1)]
    clients: list[socket.socket] = []

    def connect(n: int) -> list[socket.socket]:
        before = sum(d.open)
        made = [socket.create_connection(listener.getsockname()) for _ in range(n)]
        clients.extend(made)
        for _ in range(50):  # until the parent has accepted and handed them all
            d.serve(0.05)
            if sum(d.open) >= before + n or not any(d.channels):
                break
        return made

    yield d, ends, connect
    for sock in [*clients, *ends]:
        sock.close()
    d.close()
    listener.close()


def _received(end: socket.socket) -> list[socket.socket]:
    end.setblocking(False)
    got: list[socket.socket] = []
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(end, 64, 64)
        except BlockingIOError:
            return got
        assert data == w.HANDED * len(fds)
        got.extend(socket.socket(fileno=fd) for fd in fds)


def test_connections_opened_together_are_split_evenly(dispatch: Any) -> None:
    d, ends, connect = dispatch
    connect(16)
    assert d.open == [8, 8]
    got = [_received(end) for end in ends]
    assert [len(g) for g in got] == [8, 8]
    for sock in got[0] + got[1]:
        sock.close()


def test_the_handed_descriptor_is_the_clients_connection(dispatch: Any) -> None:
    d, ends, connect = dispatch
    (client,) = connect(1)
    index = d.open.index(1)
    (served,) = _received(ends[index])
    client.sendall(b"ping")
    served.settimeout(2)
    assert served.recv(4) == b"ping"
    assert served.getpeername() == client.getsockname()
    served.close()


def test_the_next_connections_go_where_connections_closed(dispatch: Any) -> None:
    d, ends, connect = dispatch
    connect(8)
    assert d.open == [4, 4]
    ends[1].sendall(w.CLOSED * 3)  # the second worker's three connections closed
    d.serve(0.5)
    assert d.open == [4, 1]
    connect(4)
    assert d.open == [5, 4]  # three to the second, then in turn


def test_a_worker_gone_gets_nothing_and_none_left_leaves_connections_waiting(
        dispatch: Any) -> None:
    d, ends, connect = dispatch
    ends[0].close()  # the first worker died
    connect(3)
    assert d.channels[0] is None and d.open[1] == 3
    assert len(_received(ends[1])) == 3
    ends[1].close()
    d.serve(0.5)  # its end of file read
    assert d.channels == [None, None]
    (waiting,) = connect(1)  # accepted by the kernel, not by the parent: it waits
    assert d.open == [0, 0]
    later = d.attach(0)  # a replacement
    try:
        d.serve(0.5)
        (served,) = _received(later)
        assert d.open == [1, 0] and served.getpeername() == waiting.getsockname()
        served.close()
    finally:
        later.close()


def test_a_worker_that_cannot_take_one_more_is_passed_over_not_dropped(
        dispatch: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    d, _, connect = dispatch
    real = socket.send_fds

    def refusing(sock: socket.socket, *args: Any) -> int:
        if sock is d.channels[0]:
            raise OSError(109, "Too many references")  # ETOOMANYREFS: descriptors in flight
        return real(sock, *args)

    monkeypatch.setattr(w.socket, "send_fds", refusing)
    connect(2)
    assert d.open == [0, 2] and d.channels[0] is not None  # still there for the next one


def test_news_of_a_worker_detached_earlier_in_the_same_wake_is_ignored(dispatch: Any) -> None:
    d, ends, connect = dispatch
    ends[0].close()  # died: its end of file is news, and a hand-over to it fails
    d.detach(0)  # as a hand-over in this wake, before its news is read, does
    d._read(0)  # its news, from the same select
    assert d.channels[0] is None and d.open == [0, 0]
    connect(1)
    assert d.open == [0, 1]
