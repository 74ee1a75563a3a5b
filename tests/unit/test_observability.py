"""Observability: the scheduler's metrics hook (runs by job and outcome, their time, the outbox
backlog the dispatch job read), and asyncio's accept errors one line per burst."""

from __future__ import annotations

import logging

from starport.entrypoints.observability import Metrics, OncePerBurst


def test_job_runs_and_the_outbox_backlog_become_metrics() -> None:
    metrics = Metrics()
    metrics.record_job_run("dispatch-outbox", "ok", 0.02,
                           {"sent": 3, "backlog": 7, "oldest_pending_seconds": 42})
    metrics.record_job_run("expire-sessions", "failed", 0.5, {})
    text = metrics.render()[0].decode()
    assert 'starport_job_runs_total{job="dispatch-outbox",outcome="ok"} 1.0' in text
    assert 'starport_job_runs_total{job="expire-sessions",outcome="failed"} 1.0' in text
    assert 'starport_job_seconds_count{job="expire-sessions"} 1.0' in text
    assert "starport_outbox_backlog 7.0" in text
    assert "starport_outbox_oldest_pending_seconds 42.0" in text


def test_a_burst_of_accept_errors_is_one_line_then_a_count() -> None:
    now = [0.0]
    once = OncePerBurst("socket.accept() out of system resource", quiet=10,
                        clock=lambda: now[0])

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, msg, None, None)

    shown = []
    for _ in range(1000):  # a burst: one every millisecond
        line = record("socket.accept() out of system resource\nsocket: <...>")
        if once.filter(line):
            shown.append(line.msg)
        now[0] += 0.001
    assert shown == ["socket.accept() out of system resource\nsocket: <...>"]
    assert once.filter(record("something else")) is True  # other lines untouched
    now[0] += 60  # the next burst starts with how many the last one hid
    again = record("socket.accept() out of system resource")
    assert once.filter(again) is True
    assert again.msg.endswith("(999 more in the last burst not shown)")
