"""`serve --workers`: the parent's rules for a worker that ends (entrypoints/http/workers.py),
with stand-in processes; the real processes and sockets are in tests/e2e/test_e2e_serve_cli.py."""

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
    sup = w.Workers({}, [socket.socket(), socket.socket()])

    def start(index: int) -> Any:
        process = FakeProcess(len(started) + 1)
        started.append(process)
        sup._started[index] = clock()
        return process

    monkeypatch.setattr(sup, "_start", start)
    for index in range(2):
        sup._processes.append(sup._start(index))
    yield sup, started, clock
    for sock in sup._sockets:
        sock.close()


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
