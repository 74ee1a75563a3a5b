"""Every route of the console, mounted on the same app as the API."""

from __future__ import annotations

from starport.entrypoints.console import (
    audit,
    deliveries,
    events,
    jobs,
    messages,
    outbox,
    overview,
    patrons,
    payments,
    signin,
    static,
    users,
)

ROUTES = [*signin.ROUTES, *static.ROUTES, *overview.ROUTES, *payments.ROUTES, *users.ROUTES,
          *patrons.ROUTES, *messages.ROUTES, *events.ROUTES, *jobs.ROUTES, *deliveries.ROUTES,
          *outbox.ROUTES, *audit.ROUTES]
