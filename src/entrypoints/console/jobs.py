"""Jobs: their schedule and last runs, and "run now"."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route
from structlog.contextvars import bind_contextvars

from starport.entrypoints.console.page import Page, log, page
from starport.entrypoints.jobs.registry import JOBS, job_table, run_job


async def _table(current: Page, notice: str | None = None, problem: str | None = None
                 ) -> Response:
    return current.render("jobs.html", 500 if problem else 200,
                          jobs=await job_table(current.runtime), notice=notice,
                          problem=problem)


@page("jobs")
async def list_jobs(current: Page) -> Response:
    return await _table(current)


@page("jobs")
async def run_now(current: Page) -> Response:
    name = current.request.path_params["name"]
    if name not in JOBS:
        return current.refused(404, f"There is no job {name!r}.")
    bind_contextvars(job=name)
    log.info("console: %s runs job %s", current.admin, name)
    # Through the registry, so the job lock holds here too (one run across instances).
    try:
        counts = await run_job(current.runtime, name, requested_by=current.admin)
    except Exception as exc:  # recorded as the job's last error; the table shows it
        log.exception("console: job %s run by %s failed", name, current.admin)
        return await _table(current, problem=f"{name} failed: {type(exc).__name__}: {exc}")
    done = ", ".join(f"{k}: {v}" for k, v in sorted(counts.counts.items())) or "nothing to do"
    return await _table(current, f"{name} ran at {current.admin}'s request: {done}.")


ROUTES = [
    Route("/admin/jobs", list_jobs, methods=["GET"]),
    Route("/admin/jobs/{name}/run", run_now, methods=["POST"]),
]
