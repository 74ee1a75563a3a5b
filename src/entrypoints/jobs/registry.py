"""The named jobs, the command each one runs, and how often the scheduler runs it."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from starport.application import commands as c
from starport.application.job_runs import job_records, record_run
from starport.application.views import JobCounts
from starport.domain.providers import Provider
from starport.entrypoints.runtime import Runtime

log = logging.getLogger(__name__)
BUSY = "already_running_elsewhere"  # the count a run reports when another instance holds it


@dataclass(frozen=True)
class Job:
    name: str
    command: Callable[[], c.Command]
    interval_seconds: float
    needs: str | None = None  # "channel", or a provider name that must be enabled
    lock: str | None = None  # jobs sharing a lock never run at once (default: the name)

    @property
    def lock_name(self) -> str:
        return self.lock or self.name


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("expire-sessions", lambda: c.ExpireSessions(), 60),
        Job("dispatch-outbox", lambda: c.DispatchOutbox(), 5),
        Job("reconcile-telegram-stars", lambda: c.Reconcile(Provider.TELEGRAM_STARS), 300,
            needs="telegram_stars"),
        Job("reconcile-cryptopay", lambda: c.Reconcile(Provider.CRYPTOPAY), 120,
            needs="cryptopay"),
        # Both may invite the same patrons: one lock, so they never run side by side.
        Job("check-memberships", lambda: c.CheckMemberships(), 3600, needs="channel",
            lock="patron-invites"),
        Job("bulk-invite", lambda: c.BulkInvite(), 0, needs="channel",  # on demand only
            lock="patron-invites"),
        Job("prune-webhook-inbox", lambda: c.PruneDeliveries(), 3600),  # name kept for cron
        Job("cryptopay-balance-alert", lambda: c.CheckWalletBalances(), 300,
            needs="cryptopay"),
    )
}


def applicable(runtime: Runtime, job: Job) -> bool:
    if job.needs is None:
        return True
    if job.needs == "channel":
        return runtime.config.telegram_channel_id is not None
    return job.needs in runtime.config.providers


async def run_job(runtime: Runtime, name: str, requested_by: str | None = None) -> JobCounts:
    """Run the job once, unless another instance is running it now: then nothing is done and
    the counts say so (`already_running_elsewhere: 1`). A run is recorded (job_runs), with its
    error if it failed; the error is raised again. A run an admin asked for is also on the
    audit trail, with what came of it."""
    try:
        counts = await _run_once(runtime, name)
    except Exception as exc:
        if requested_by is not None:
            with contextlib.suppress(Exception):  # the database may be what failed
                await runtime.bus.handle(c.NoteAdminAction(
                    requested_by, "run_job", name, detail=f"failed: {type(exc).__name__}"))
        raise
    if requested_by is not None:
        await runtime.bus.handle(c.NoteAdminAction(
            requested_by, "run_job", name,
            detail=", ".join(f"{k} {v}" for k, v in counts.counts.items())))
    return counts


async def _run_once(runtime: Runtime, name: str) -> JobCounts:
    try:
        job = JOBS[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; jobs: {', '.join(JOBS)}") from None
    if runtime.job_lock is None:
        return await _run(runtime, job)
    async with runtime.job_lock.hold(job.lock_name) as acquired:
        if not acquired:
            log.info("job %s is already running elsewhere: skipped", name)
            return JobCounts({BUSY: 1})
        return await _run(runtime, job)


async def _run(runtime: Runtime, job: Job) -> JobCounts:
    started = runtime.deps.clock.now()
    try:
        result = await runtime.bus.handle(job.command())
    except Exception as exc:
        with contextlib.suppress(Exception):  # the database may be what failed: keep the error
            await record_run(runtime.deps, job.name, started, {},
                             f"{type(exc).__name__}: {exc}"[:500])
        raise
    counts = result if isinstance(result, JobCounts) else JobCounts()
    await record_run(runtime.deps, job.name, started, counts.counts, None)
    return counts


async def job_table(runtime: Runtime) -> list[dict[str, object]]:
    """Every job: its schedule here, and its last run as recorded by whichever instance ran it
    (next run: the last start plus the interval, for a scheduled job)."""
    records = await job_records(runtime.deps, list(JOBS))
    table: list[dict[str, object]] = []
    for job in JOBS.values():
        record = records.get(job.name)
        scheduled = job.interval_seconds > 0 and applicable(runtime, job)
        next_run = (record.last_started_at + timedelta(seconds=job.interval_seconds)
                    if scheduled and record and record.last_started_at else None)
        table.append({
            "name": job.name, "intervalSeconds": job.interval_seconds or None,
            "scheduled": scheduled, "runs": record.runs if record else 0,
            "failures": record.failures if record else 0,
            "lastStartedAt": _iso(record.last_started_at if record else None),
            "lastFinishedAt": _iso(record.last_finished_at if record else None),
            "lastSuccessAt": _iso(record.last_success_at if record else None),
            "lastCounts": record.last_counts if record else {},
            "lastError": record.last_error if record else None,
            "nextRunAt": _iso(next_run),
        })
    return table


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
