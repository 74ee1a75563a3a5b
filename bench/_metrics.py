"""Starport's database work per payment, from its Prometheus text at `GET /metrics`.

Counters read: `starport_db_statements_total`, `starport_db_transactions_total{mode=...}`
and, as the denominator, `starport_webhook_requests_total{source="telegram"}` (the updates the
same process handled). With several uvicorn workers each has its own registry and a scrape
reaches one of them: every scrape is on a new connection, the worker is told apart by the
creation time of a series every registry makes at start (`starport_pre_checkout_seconds_created`),
and the figures sum the workers seen both before and after the run."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

STATEMENTS = "starport_db_statements_total"
TRANSACTIONS = "starport_db_transactions_total"
UPDATES = "starport_webhook_requests_total"
IDENTITY = "starport_pre_checkout_seconds_created"
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

Series = tuple[str, frozenset[tuple[str, str]]]


def parse(text: str) -> dict[Series, float]:
    found: dict[Series, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        name, _, labels = series.partition("{")
        try:
            found[(name, frozenset(_LABEL.findall(labels)))] = float(value)
        except ValueError:
            continue
    return found


@dataclass(frozen=True)
class Sample:
    values: dict[Series, float]

    @property
    def worker(self) -> float | None:
        return self.values.get((IDENTITY, frozenset()))

    def total(self, name: str, **labels: str) -> float | None:
        """The sum of the series of `name` having these labels; None if there is no `name`."""
        wanted = set(labels.items())
        matches = [v for (n, have), v in self.values.items() if n == name and wanted <= have]
        return sum(matches) if any(n == name for n, _ in self.values) else None


async def scrape(base_url: str, times: int) -> dict[float | None, Sample]:
    """The last sample of each worker seen in `times` scrapes (one connection each)."""
    seen: dict[float | None, Sample] = {}
    for _ in range(times):
        async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
            response = await client.get(f"{base_url}/metrics")
        response.raise_for_status()
        sample = Sample(parse(response.text))
        seen[sample.worker] = sample
    return seen


@dataclass(frozen=True)
class DbWork:
    statements_per_payment: float | None
    writes_per_update: float | None
    reads_per_update: float | None
    updates: int  # handled by the workers measured
    workers_seen: int

    def text(self, value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f}"


def db_work(before: dict[float | None, Sample], after: dict[float | None, Sample]) -> DbWork:
    """What the workers seen both times did in between, per update they handled."""
    common = [w for w in after if w in before]
    updates = sum((after[w].total(UPDATES, source="telegram") or 0)
                  - (before[w].total(UPDATES, source="telegram") or 0) for w in common)

    def per(name: str, per_updates: float, **labels: str) -> float | None:
        deltas = []
        for w in common:
            a = after[w].total(name, **labels)
            if a is None:  # not counted by this Starport
                return None
            deltas.append(a - (before[w].total(name, **labels) or 0))
        return sum(deltas) / (updates / per_updates) if updates and deltas else None

    return DbWork(statements_per_payment=per(STATEMENTS, 2),
                  writes_per_update=per(TRANSACTIONS, 1, mode="write"),
                  reads_per_update=per(TRANSACTIONS, 1, mode="read"),
                  updates=int(updates), workers_seen=len(common))
