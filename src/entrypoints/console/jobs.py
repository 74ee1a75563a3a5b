"""Jobs: their schedule and last runs, and "run now"."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route
from structlog.contextvars import bind_contextvars

from starport.entrypoints.console.page import Page, page
from starport.entrypoints.jobs.registry import JOBS, job_table, run_job


async def _table(current: Page, notice: str | None = None) -> Response:
    return current.render("jobs.html", jobs=await job_table(current.runtime), notice=notice)


@page("jobs")
async def list_jobs(current: Page) -> Response:
    return await _table(current)


@page("jobs")
async def run_now(current: Page) -> Response:
    name = current.request.path_params["name"]
    if name not in JOBS:
        return current.refused(404, f"There is no job {name!r}.")
    bind_contextvars(job=name)
    # Through the registry, so the job lock holds here too (one run across instances).
    counts = await run_job(current.runtime, name)
    done = ", ".join(f"{k}: {v}" for k, v in sorted(counts.counts.items())) or "nothing to do"
    return await _table(current, f"{name} ran at {current.admin}'s request: {done}.")


ROUTES = [
    Route("/admin/jobs", list_jobs, methods=["GET"]),
    Route("/admin/jobs/{name}/run", run_now, methods=["POST"]),
]
