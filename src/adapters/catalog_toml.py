"""Loading the credit package catalog from a TOML file into the domain's Catalog."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from starport.adapters.telegram.currencies import TELEGRAM_CURRENCIES, limits
from starport.domain.catalog import Catalog, CreditPackage
from starport.domain.errors import DomainError
from starport.domain.money import CryptoAmount, FiatAmount, Price, Stars, minor_units, parse_decimal
from starport.domain.providers import Provider


class CatalogError(ValueError):
    """A catalog that cannot be read, or names a key or a value it does not take."""


PACKAGE_KEYS = frozenset({"id", "title", "description", "credits", "prices", "stars", "crypto",
                          "fiat", "active", "subscription"})
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
        # The shorthands first, then [package.prices]: one price per provider, whichever way.
        prices: dict[Provider, Price] = {}
        if "stars" in raw:
            prices[Provider.TELEGRAM_STARS] = Stars(raw["stars"])
        if "crypto" in raw or "fiat" in raw:
            prices[Provider.CRYPTOPAY] = _cryptopay(name, raw.get("crypto") or raw["fiat"],
                                                    "crypto" if "crypto" in raw else "fiat")
        for provider, price in _prices(name, raw.get("prices", {})).items():
            if provider in prices:
                raise CatalogError(f"{name}: two prices for {provider} (prices.{provider} and "
                                   f"a shorthand); give it once")
            prices[provider] = price
        return CreditPackage(
            id=raw["id"], title=raw["title"], credits=raw["credits"], prices=prices,
            description=raw.get("description", ""), active=raw.get("active", True),
            subscription=raw.get("subscription", False),
        )
    except DomainError as exc:
        raise CatalogError(f"{name}: {exc.message}") from exc


def _prices(name: str, raw: Any) -> dict[Provider, Price]:
    """`[package.prices]`, keyed by the names PAYMENT_PROVIDERS uses."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{name}: prices is a table: [package.prices]")
    known = {p.value: p for p in Provider}
    prices: dict[Provider, Price] = {}
    for key, value in raw.items():
        provider = known.get(key)
        if provider is None:
            raise CatalogError(f"{name}: prices.{key}: not a provider Starport knows "
                               f"({', '.join(known)})")
        if provider is Provider.TELEGRAM_STARS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise CatalogError(f"{name}: prices.{key} is a whole number of Stars")
            prices[provider] = Stars(value)
        elif provider is Provider.TELEGRAM_PAYMENTS:
            prices[provider] = _card(name, value, f"prices.{key}")
        else:
            prices[provider] = _cryptopay(name, value, f"prices.{key}")
    return prices


def _card(name: str, value: Any, key: str) -> FiatAmount:
    """`{ amount = "4.99", currency = "USD" }` within what Telegram Payments takes for that
    currency: a known currency, no finer than its smallest unit, between its minimum and
    maximum (Telegram's currencies.json, as a snapshot in adapters/telegram/currencies.py)."""
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise CatalogError(f'{name}: {key} is {{ amount = "4.99", currency = "USD" }}')
    price = FiatAmount(parse_decimal(value["amount"]), str(value["currency"]))
    known = limits(price.code)
    if known is None:
        raise CatalogError(f"{name}: {key}: Telegram Payments does not take {price.code} "
                           f"(it takes {', '.join(sorted(TELEGRAM_CURRENCIES))})")
    units = minor_units(price)  # InvalidAmount (named by the caller) if finer than a cent
    if not known.min_amount <= units <= known.max_amount:
        low, high = (Decimal(n).scaleb(-known.exponent) for n in (known.min_amount,
                                                                  known.max_amount))
        raise CatalogError(f"{name}: {key}: Telegram Payments takes {low}-{high} "
                           f"{price.code} per invoice, not {price.amount}")
    return price


def _cryptopay(name: str, value: Any, key: str) -> CryptoAmount | FiatAmount:
    """`{ amount = "1.5", asset = "TON" }` or `{ amount = "4.99", currency = "USD" }`: the
    amount a string, never a float."""
    if isinstance(value, dict) and set(value) == {"amount", "asset"}:
        return CryptoAmount(parse_decimal(value["amount"]), str(value["asset"]))
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        return FiatAmount(parse_decimal(value["amount"]), str(value["currency"]))
    if key == "crypto":
        raise CatalogError(f'{name}: crypto is {{ amount = "1.5", asset = "..." }}')
    if key == "fiat":
        raise CatalogError(f'{name}: fiat is {{ amount = "1.5", currency = "..." }}')
    raise CatalogError(f'{name}: {key} is {{ amount = "1.5", asset = "TON" }} or '
                       f'{{ amount = "4.99", currency = "USD" }}')
