"""The overview: what can be told today (jobs, events to the host app) and a chart."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from starlette.responses import Response
from starlette.routing import Route

from starport.application import back_office, event_log
from starport.application.effects import OutboxStatus
from starport.entrypoints.console.chart import bar_chart
from starport.entrypoints.console.page import Page, page
from starport.entrypoints.jobs.registry import job_table

COUNTED = 500  # events looked at per status; more shows as "500+"
CHART_DAYS = 14


@page("overview")
async def overview(current: Page) -> Response:
    deps = current.runtime.deps
    failed = await event_log.find_events(deps, event_log.EventQuery(
        status=OutboxStatus.FAILED, limit=COUNTED))
    pending = await event_log.find_events(deps, event_log.EventQuery(
        status=OutboxStatus.PENDING, limit=COUNTED))
    recent = await event_log.find_events(deps, event_log.EventQuery(limit=COUNTED))
    today = deps.clock.now().date()
    per_day = Counter(item.created_at.date() for item in recent)
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    month = await back_office.figures(deps, 30)
    periods = [(label, _sum(month[-n:])) for label, n in (("Today", 1), ("7 days", 7),
                                                          ("30 days", 30))]
    currencies = sorted({key for d in month for key in d.revenue})
    revenue_charts = [(f"{currency} via {provider}", bar_chart(
        [(d.day, d.revenue.get((provider, currency), Decimal(0))) for d in month],
        f"Revenue in {currency} via {provider} per day, last 30 days"))
        for provider, currency in currencies]
    async with deps.uow(read_only=True) as uow:
        backlog = await uow.outbox.count(OutboxStatus.PENDING)
        given_up = await uow.outbox.count(OutboxStatus.FAILED)
    return current.render(
        "overview.html", jobs=await job_table(current.runtime), periods=periods,
        revenue_charts=revenue_charts, backlog=backlog, given_up=given_up,
        failed_events=_count(len(failed)), pending_events=_count(len(pending)),
        events_chart=bar_chart([(d, per_day.get(d, 0)) for d in days],
                               f"Events to the host app per day, last {CHART_DAYS} days"),
        today=date.isoformat(today))


def _sum(days: list[back_office.DayFigures]) -> dict[str, object]:
    """Several days' figures added up: payments and revenue by provider and currency."""
    payments: Counter[tuple[str, str]] = Counter()
    revenue: dict[tuple[str, str], Decimal] = {}
    for d in days:
        payments.update(d.payments)
        for key, amount in d.revenue.items():
            revenue[key] = revenue.get(key, Decimal(0)) + amount
    return {"payments": sum(payments.values()), "credits": sum(d.credits_sold for d in days),
            "revenue": [(f"{amount.normalize():f}", currency, provider)
                        for (provider, currency), amount in sorted(revenue.items())],
            "refunds": sum(d.refunds for d in days), "failures": sum(d.failures for d in days)}


def _count(n: int) -> str:
    return f"{n}+" if n >= COUNTED else str(n)


ROUTES = [Route("/admin", overview, methods=["GET"])]
