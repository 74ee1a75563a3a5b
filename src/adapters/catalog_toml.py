"""Loading the credit package catalog from a TOML file into the domain's Catalog."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from domain.catalog import Catalog, CreditPackage
from domain.errors import DomainError
from domain.money import CryptoAmount, FiatAmount, Stars, parse_decimal


class CatalogError(ValueError):
    pass


def load_catalog(path: Path) -> Catalog:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    try:
        return Catalog(_package(raw) for raw in data.get("package", []))
    except (DomainError, KeyError, TypeError) as exc:
        raise CatalogError(f"invalid catalog {path}: {exc}") from exc


def _package(raw: dict[str, Any]) -> CreditPackage:
    if "crypto" in raw and "fiat" in raw:
        raise CatalogError(f"package {raw.get('id')}: give a crypto or a fiat price, not both")
    crypto: CryptoAmount | FiatAmount | None = None
    if "crypto" in raw:
        crypto = CryptoAmount(parse_decimal(raw["crypto"]["amount"]), raw["crypto"]["asset"])
    elif "fiat" in raw:
        crypto = FiatAmount(parse_decimal(raw["fiat"]["amount"]), raw["fiat"]["currency"])
    return CreditPackage(
        id=raw["id"], title=raw["title"], credits=raw["credits"],
        stars=Stars(raw["stars"]) if "stars" in raw else None, crypto=crypto,
        description=raw.get("description", ""), active=raw.get("active", True),
        subscription=raw.get("subscription", False),
    )
