"""What each scheduled job did last: kept per job (in the cursors, under `job:<name>`), so any
instance can say when a job last ran, how it went, and when it last succeeded."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from starport.application.deps import Deps

PREFIX = "job:"


@dataclass
class JobRecord:
    name: str
    runs: int = 0
    failures: int = 0
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_counts: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    last_success_at: datetime | None = None

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("last_started_at", "last_finished_at", "last_success_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> JobRecord:
        data = json.loads(text)
        for key in ("last_started_at", "last_finished_at", "last_success_at"):
            data[key] = datetime.fromisoformat(data[key]) if data[key] else None
        return cls(**data)


async def record_run(deps: Deps, name: str, started_at: datetime, counts: dict[str, int],
                     error: str | None) -> JobRecord:
    """One run of `name`: its start, end, counts and error (None when it succeeded)."""
    finished_at = deps.clock.now()
    async with deps.uow() as uow:
        stored = await uow.cursors.get(PREFIX + name)
        record = JobRecord.from_json(stored) if stored else JobRecord(name)
        record.runs += 1
        record.last_started_at, record.last_finished_at = started_at, finished_at
        record.last_counts, record.last_error = dict(counts), error
        if error is None:
            record.last_success_at = finished_at
        else:
            record.failures += 1
        await uow.cursors.set(PREFIX + name, record.to_json())
        await uow.commit()
    return record


async def job_records(deps: Deps, names: list[str]) -> dict[str, JobRecord]:
    """The record of each job that has run at least once."""
    found: dict[str, JobRecord] = {}
    async with deps.uow(read_only=True) as uow:
        for name in names:
            stored = await uow.cursors.get(PREFIX + name)
            if stored:
                found[name] = JobRecord.from_json(stored)
    return found
