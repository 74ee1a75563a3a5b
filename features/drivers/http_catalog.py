"""The shop's packages as a catalog TOML file, the format `STARPORT_CATALOG` points at."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from features.drivers.base import Package

FIAT = frozenset({"USD", "EUR", "RUB"})  # as the use-case driver reads "5 USD"


def catalog_toml(packages: Iterable[Package]) -> str:
    """One `[[package]]` table per package; amounts stay strings, never floats."""
    tables = []
    for p in packages:
        lines = ["[[package]]", f"id = {_s(p.id)}", f"title = {_s(p.title)}",
                 f"credits = {p.credits}"]
        if p.stars:
            lines.append(f"stars = {p.stars}")
        if p.subscription:
            lines.append("subscription = true")
        if p.crypto:
            amount, code = p.crypto.split()
            kind, key = ("fiat", "currency") if code in FIAT else ("crypto", "asset")
            lines.append(f"{kind} = {{ amount = {_s(amount)}, {key} = {_s(code)} }}")
        if p.card:  # after the package's own keys: [package.prices] opens a table of its own
            amount, code = p.card.split()
            lines += ["[package.prices]", f"telegram_payments = {{ amount = {_s(amount)}, "
                      f"currency = {_s(code)} }}"]
        tables.append("\n".join(lines))
    return "\n\n".join(tables) + "\n"


def write_catalog(packages: Iterable[Package], path: Path) -> Path:
    path.write_text(catalog_toml(packages), encoding="utf-8")
    return path


def _s(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string
