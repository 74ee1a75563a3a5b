"""The scheduler's metrics hook: runs by job and outcome, their time, and the outbox backlog the
dispatch job read; other jobs leave the backlog alone."""

from __future__ import annotations

from entrypoints.observability import Metrics


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
