"""Drivers of the acceptance scenarios, by name. Every scenario runs on every registered driver
unless `STARPORT_BDD_DRIVER` names some (comma-separated). A driver is a `Driver` subclass
registered here as "module:Class"; those in `POSTGRES` need PostgreSQL."""

from __future__ import annotations

import importlib
import os
from typing import Any

from features.drivers.base import Driver

DRIVERS = {
    "usecases": "features.drivers.usecases:UseCaseDriver",  # use cases on in-memory adapters
    "http": "features.drivers.http:HttpDriver",  # the server over HTTP, on SQLite
    "http-postgres": "features.drivers.http:HttpPostgresDriver",  # ... on PostgreSQL
}
POSTGRES = frozenset({"http-postgres"})
DEFAULT_DRIVER = "usecases"


def driver_names() -> list[str]:
    """The drivers to run: those `STARPORT_BDD_DRIVER` names, else all of them."""
    wanted = [n.strip() for n in os.environ.get("STARPORT_BDD_DRIVER", "").split(",") if n.strip()]
    unknown = [n for n in wanted if n not in DRIVERS]
    if unknown:
        raise LookupError(f"unknown BDD driver(s) {unknown}; known: {sorted(DRIVERS)}")
    return wanted or list(DRIVERS)


def driver_name() -> str:
    """The first driver to run (for callers that want one)."""
    return driver_names()[0] if os.environ.get("STARPORT_BDD_DRIVER") else DEFAULT_DRIVER


def make_driver(name: str, **options: Any) -> Driver:
    try:
        module_name, class_name = DRIVERS[name].split(":")
    except KeyError:
        raise LookupError(f"unknown BDD driver {name!r}; known: {sorted(DRIVERS)}") from None
    driver = getattr(importlib.import_module(module_name), class_name)(**options)
    assert isinstance(driver, Driver)
    return driver
