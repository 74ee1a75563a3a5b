"""Two schedulers against one PostgreSQL database never run the same job at once, and both
get work done."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from starport.application import commands as c
from starport.application.views import JobCounts
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import build_runtime
from starport.entrypoints.jobs import registry, scheduler
from starport.entrypoints.jobs.registry import Job
from starport.entrypoints.runtime import Runtime

RUNS_WANTED = 12


@dataclass(frozen=True)
class Probe(c.Command):
    job: str


PROBES = {name: Job(name, lambda name=name: Probe(name), 0.02)  # type: ignore[misc]
          for name in ("probe-a", "probe-b")}


@dataclass
class Record:
    """Every run of a probe job: which instance ran it, and whether another was in flight."""

    running: dict[str, int] = field(default_factory=dict)
    overlaps: list[str] = field(default_factory=list)
    runs: list[tuple[str, str]] = field(default_factory=list)
    enough: asyncio.Event = field(default_factory=asyncio.Event)

    def instrument(self, runtime: Runtime, instance: str) -> None:
        async def handle(command: c.Command) -> JobCounts:
            assert isinstance(command, Probe)
            job = command.job
            self.running[job] = self.running.get(job, 0) + 1
            if self.running[job] > 1:
                self.overlaps.append(job)
            try:
                await asyncio.sleep(0.05)  # a job that takes a while: the other instance tries
            finally:
                self.running[job] -= 1
            self.runs.append((instance, job))
            if len(self.runs) >= RUNS_WANTED:
                self.enough.set()
            return JobCounts({"probed": 1})

        runtime.bus.handle = handle  # type: ignore[method-assign]


@pytest.fixture
def record(monkeypatch: pytest.MonkeyPatch) -> Record:
    monkeypatch.setattr(registry, "JOBS", PROBES)
    monkeypatch.setattr(scheduler, "JOBS", PROBES)
    return Record()


async def test_two_schedulers_never_run_one_job_at_once(pg_jobs_url: str,
                                                        record: Record) -> None:
    config = StarportConfig(_env_file=None, database_url=pg_jobs_url,  # type: ignore[call-arg]
                            starport_sandbox=False, telegram_bot_token="1:" + "x" * 35)
    runtimes = [build_runtime(config), build_runtime(config)]
    for n, runtime in enumerate(runtimes):
        record.instrument(runtime, f"instance-{n}")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(scheduler.run_schedule(r, stop, tick=0.01)) for r in runtimes]
    try:
        await asyncio.wait_for(record.enough.wait(), timeout=20)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for runtime in runtimes:
            await runtime.aclose()

    assert record.overlaps == []
    assert {instance for instance, _ in record.runs} == {"instance-0", "instance-1"}
    assert {job for _, job in record.runs} == set(PROBES)
