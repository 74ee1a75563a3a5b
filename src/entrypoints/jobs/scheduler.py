"""Runs every applicable job on its interval until stopped; one failing job never stops
the others, and a job another instance is running is skipped until its next turn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from entrypoints.jobs.registry import BUSY, JOBS, applicable, run_job
from entrypoints.runtime import Runtime

log = logging.getLogger(__name__)


async def run_schedule(runtime: Runtime, stop: asyncio.Event | None = None,
                       tick: float = 1.0) -> None:
    stop = stop or asyncio.Event()
    jobs = [j for j in JOBS.values() if j.interval_seconds > 0 and applicable(runtime, j)]
    due = dict.fromkeys((j.name for j in jobs), 0.0)
    log.info("scheduler started: %s", ", ".join(due))
    while not stop.is_set():
        for job in jobs:
            if time.monotonic() < due[job.name]:
                continue
            try:
                counts = await run_job(runtime, job.name)
                if counts[BUSY]:
                    log.info("job %s is already running elsewhere; next turn in %gs",
                             job.name, job.interval_seconds)
                elif any(counts.counts.values()):
                    log.info("job %s: %s", job.name, counts.counts)
            except Exception:
                log.exception("job %s failed", job.name)
            due[job.name] = time.monotonic() + job.interval_seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick)
