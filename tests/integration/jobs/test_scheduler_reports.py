"""The scheduler reports: each job in a loop of its own (a slow job never holds up another),
each run recorded (start, end, counts, error) where every instance can read it, the metrics
hook told of every run, and a database outage one log line when it starts and one when it ends,
not a traceback per tick."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
import structlog

from starport.application import commands as c
from starport.application.views import JobCounts
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import build_runtime
from starport.entrypoints.jobs import registry, scheduler
from starport.entrypoints.jobs.registry import Job, job_table


@dataclass(frozen=True)
class Work(c.Command):
    job: str


JOBS = {name: Job(name, lambda name=name: Work(name), interval)  # type: ignore[misc]
        for name, interval in (("slow", 0.05), ("quick", 0.01), ("flaky", 0.01))}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(registry, "JOBS", JOBS)
    monkeypatch.setattr(scheduler, "JOBS", JOBS)
    monkeypatch.setattr(scheduler, "FIRST_RETRY", 0.01)
    config = StarportConfig(_env_file=None, starport_repository="memory",  # type: ignore[call-arg]
                            starport_sandbox=False, telegram_bot_token="1:" + "x" * 35)
    return build_runtime(config)


async def test_jobs_run_side_by_side_are_recorded_and_an_outage_is_two_lines(runtime) -> None:  # type: ignore[no-untyped-def]
    ran: dict[str, int] = {"slow": 0, "quick": 0, "flaky": 0}
    release, enough = asyncio.Event(), asyncio.Event()
    outage = 4  # the flaky job meets a database that is down four times, then answers

    async def handle(command: c.Command) -> JobCounts:
        assert isinstance(command, Work)
        ran[command.job] += 1
        if ran["quick"] >= 5 and ran["flaky"] >= outage + 2:
            enough.set()
        if command.job == "slow":
            await release.wait()  # holds its loop, and only its loop
        if command.job == "flaky" and ran["flaky"] <= outage:
            raise ConnectionRefusedError("connection refused")
        return JobCounts({"done": 1})

    runtime.bus.handle = handle
    seen: list[tuple[str, str]] = []
    stop = asyncio.Event()
    with structlog.testing.capture_logs() as logs:
        task = asyncio.create_task(scheduler.run_schedule(
            runtime, stop, tick=0.005, on_run=lambda job, outcome, s, counts: seen.append(
                (job, outcome))))
        await asyncio.wait_for(enough.wait(), 20)
        release.set()
        stop.set()
        await task
    # the slow job ran once while the others kept going
    assert ran["slow"] == 1 and ran["quick"] >= 5
    # the outage: one warning when it began, one line when it ended, no traceback
    events = [(e["event"], e.get("job")) for e in logs if e.get("job") == "flaky"]
    assert events.count(("job.database_unavailable", "flaky")) == 1
    assert events.count(("job.recovered", "flaky")) == 1
    assert ("job.failed", "flaky") not in events
    # the metrics hook heard every run, failed ones included
    assert seen.count(("flaky", "failed")) == outage
    assert ("flaky", "ok") in seen and ("slow", "ok") in seen
    # each job's last run is recorded for every instance to read
    table = {row["name"]: row for row in await job_table(runtime)}
    assert table["flaky"]["failures"] == outage
    assert table["flaky"]["runs"] == ran["flaky"]
    assert table["flaky"]["lastError"] is None and table["flaky"]["lastSuccessAt"]
    assert table["quick"]["lastCounts"] == {"done": 1}
    assert table["slow"]["nextRunAt"] is not None
    await runtime.aclose()


async def test_a_failed_run_keeps_its_error(runtime) -> None:  # type: ignore[no-untyped-def]
    async def handle(command: c.Command) -> JobCounts:
        raise RuntimeError("the provider said no")

    runtime.bus.handle = handle
    with pytest.raises(RuntimeError):
        await registry.run_job(runtime, "quick")
    [row] = [r for r in await job_table(runtime) if r["name"] == "quick"]
    assert (row["runs"], row["failures"]) == (1, 1)
    assert row["lastError"] == "RuntimeError: the provider said no"
    assert row["lastSuccessAt"] is None
    await runtime.aclose()
