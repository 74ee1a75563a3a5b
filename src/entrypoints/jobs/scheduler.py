"""Runs every applicable job on its interval until stopped, each job in a loop of its own (a
slow reconciliation never delays the outbox); a failing job never stops the others, and a job
another instance is running is skipped until its next turn.

A failing job is retried with backoff (5 s doubling, up to its interval or a minute): a
database that is down is one line when the outage starts and one when it ends, not a traceback
per tick; any other failure keeps its traceback, once per distinct error."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog

from starport.entrypoints.failures import database_unavailable
from starport.entrypoints.jobs.registry import BUSY, JOBS, Job, applicable, run_job
from starport.entrypoints.runtime import Runtime

log = structlog.get_logger("starport.jobs")
FIRST_RETRY = 5.0
# (job, outcome ok|failed|busy, seconds, counts): the metrics' hook
OnRun = Callable[[str, str, float, dict[str, int]], None]
READINGS = ("backlog", "oldest_pending_seconds")  # states a job reports, not work it did


async def run_schedule(runtime: Runtime, stop: asyncio.Event | None = None,
                       tick: float = 1.0, on_run: OnRun | None = None) -> None:
    stop = stop or asyncio.Event()
    jobs = [j for j in JOBS.values() if j.interval_seconds > 0 and applicable(runtime, j)]
    log.info("jobs.scheduler_started", jobs=[j.name for j in jobs])
    await asyncio.gather(*(_loop(runtime, job, stop, tick, on_run) for job in jobs))


async def _loop(runtime: Runtime, job: Job, stop: asyncio.Event, tick: float,
                on_run: OnRun | None) -> None:
    failures = 0
    last_error = ""
    while not stop.is_set():
        started = time.monotonic()
        counted: dict[str, int] = {}
        try:
            counts = await run_job(runtime, job.name)
        except Exception as exc:
            failures += 1
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            if database_unavailable(exc):
                if failures == 1:  # one line per outage; the recovery is the other
                    log.warning("job.database_unavailable", job=job.name, error=error)
            elif error != last_error:
                log.exception("job.failed", job=job.name, error=error)
            last_error = error
            outcome, wait = "failed", _backoff(job, failures)
        else:
            if failures:
                log.info("job.recovered", job=job.name, failed_runs=failures)
            failures, last_error = 0, ""
            if counts[BUSY]:
                outcome = "busy"
                log.info("job.running_elsewhere", job=job.name,
                         next_in_seconds=job.interval_seconds)
            else:
                outcome, counted = "ok", counts.counts
                if any(v for k, v in counted.items() if k not in READINGS):
                    log.info("job.ran", job=job.name, **counted)
            wait = job.interval_seconds
        if on_run is not None:
            on_run(job.name, outcome, time.monotonic() - started, counted)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(wait, tick))


def _backoff(job: Job, failures: int) -> float:
    return min(FIRST_RETRY * 2 ** (failures - 1), max(job.interval_seconds, 60.0))
