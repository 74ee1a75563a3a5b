"""Loading the credit package catalog from a TOML file into the domain's Catalog."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.catalog import Catalog, CreditPackage
from domain.errors import DomainError
from domain.money import CryptoAmount, FiatAmount, Stars, parse_decimal


class CatalogError(ValueError):
    """A catalog that cannot be read, or names a key or a value it does not take."""


PACKAGE_KEYS = frozenset({"id", "title", "description", "credits", "stars", "crypto", "fiat",
                          "active", "subscription"})
REQUIRED = ("id", "title", "credits")


def load_catalog(path: Path) -> Catalog:
    where = f"STARPORT_CATALOG ({path})"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{where}: cannot read it: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"package"})
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r}; each package is a "
                           "[[package]] table")
    raws = data.get("package", [])  # none at all is a shop of perks only
    if not isinstance(raws, list):
        raise CatalogError(f"{where}: each package is a [[package]] table")
    try:
        return Catalog(_package(n, raw) for n, raw in enumerate(raws, start=1))
    except (CatalogError, DomainError, TypeError) as exc:
        raise CatalogError(f"{where}: {exc}") from exc


def _package(number: int, raw: dict[str, Any]) -> CreditPackage:
    name = f"package {raw.get('id', f'#{number}')!s}"
    unknown = sorted(set(raw) - PACKAGE_KEYS)
    if unknown:
        raise CatalogError(f"{name}: unknown key {unknown[0]!r} (keys: "
                           f"{', '.join(sorted(PACKAGE_KEYS))})")
    missing = [key for key in REQUIRED if key not in raw]
    if missing:
        raise CatalogError(f"{name}: {missing[0]!r} is required")
    if "crypto" in raw and "fiat" in raw:
        raise CatalogError(f"{name}: give a crypto or a fiat price, not both")
    try:
        crypto: CryptoAmount | FiatAmount | None = None
        if "crypto" in raw:
            amount, asset = _table(name, raw, "crypto", "asset")
            crypto = CryptoAmount(amount, asset)
        elif "fiat" in raw:
            amount, currency = _table(name, raw, "fiat", "currency")
            crypto = FiatAmount(amount, currency)
        return CreditPackage(
            id=raw["id"], title=raw["title"], credits=raw["credits"],
            stars=Stars(raw["stars"]) if "stars" in raw else None, crypto=crypto,
            description=raw.get("description", ""), active=raw.get("active", True),
            subscription=raw.get("subscription", False),
        )
    except DomainError as exc:
        raise CatalogError(f"{name}: {exc.message}") from exc


def _table(name: str, raw: dict[str, Any], key: str, code: str) -> tuple[Decimal, str]:
    """`{ amount = "4.99", <code> = "USD" }`: the amount a string, never a float."""
    value = raw[key]
    if not isinstance(value, dict) or set(value) != {"amount", code}:
        raise CatalogError(f'{name}: {key} is {{ amount = "1.5", {code} = "..." }}')
    return parse_decimal(value["amount"]), str(value[code])
