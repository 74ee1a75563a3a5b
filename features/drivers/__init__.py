"""Drivers of the acceptance scenarios, chosen by name (`STARPORT_BDD_DRIVER`, default
`usecases`). A new driver is a `Driver` subclass registered here as "module:Class"."""

from __future__ import annotations

import importlib
import os

from features.drivers.base import Driver

DRIVERS = {
    "usecases": "features.drivers.usecases:UseCaseDriver",
}
DEFAULT_DRIVER = "usecases"


def driver_name() -> str:
    return os.environ.get("STARPORT_BDD_DRIVER", "").strip() or DEFAULT_DRIVER


def make_driver(name: str) -> Driver:
    try:
        module_name, class_name = DRIVERS[name].split(":")
    except KeyError:
        raise LookupError(f"unknown BDD driver {name!r}; known: {sorted(DRIVERS)}") from None
    driver = getattr(importlib.import_module(module_name), class_name)()
    assert isinstance(driver, Driver)
    return driver
