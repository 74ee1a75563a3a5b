"""The overview: what can be told today (jobs, events to the host app) and a chart."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from starlette.responses import Response
from starlette.routing import Route

from starport.application import event_log
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
    return current.render(
        "overview.html", jobs=await job_table(current.runtime),
        failed_events=_count(len(failed)), pending_events=_count(len(pending)),
        events_chart=bar_chart([(d, per_day.get(d, 0)) for d in days],
                               f"Events to the host app per day, last {CHART_DAYS} days"),
        today=date.isoformat(today))


def _count(n: int) -> str:
    return f"{n}+" if n >= COUNTED else str(n)


ROUTES = [Route("/admin", overview, methods=["GET"])]
