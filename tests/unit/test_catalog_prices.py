"""Prices by provider: a package holds one price per provider name, given in the catalog as
`[package.prices]` or through the shorthands (`stars`, `crypto`, `fiat`), never twice; the host
API lists them by provider name."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from starport.adapters.catalog_toml import CatalogError, load_catalog
from starport.domain.catalog import CreditPackage
from starport.domain.errors import InvalidAmount, PackageUnavailable
from starport.domain.money import CryptoAmount, FiatAmount, Stars
from starport.domain.providers import Provider
from starport.entrypoints.http.serialize import package as serialized

STARS, CRYPTOPAY, CARDS = Provider.TELEGRAM_STARS, Provider.CRYPTOPAY, Provider.TELEGRAM_PAYMENTS


def load(tmp_path: Path, text: str) -> list[CreditPackage]:
    path = tmp_path / "catalog.toml"
    path.write_text(text)
    return list(load_catalog(path))


def test_the_prices_table_and_the_shorthands_make_the_same_package(tmp_path: Path) -> None:
    [table, shorthand] = load(tmp_path, """
[[package]]
id = "a"
title = "A"
credits = 100
[package.prices]
telegram_stars = 50
cryptopay = { amount = "4.99", currency = "USD" }

[[package]]
id = "a2"
title = "A"
credits = 100
stars = 50
fiat = { amount = "4.99", currency = "USD" }
""")
    assert dict(table.prices) == dict(shorthand.prices) == {
        STARS: Stars(50), CRYPTOPAY: FiatAmount(Decimal("4.99"), "USD")}
    assert table.stars == Stars(50) and table.crypto == FiatAmount(Decimal("4.99"), "USD")
    assert table.price_for(CRYPTOPAY) == FiatAmount(Decimal("4.99"), "USD")


def test_a_package_is_bought_only_with_a_provider_it_has_a_price_for(tmp_path: Path) -> None:
    [only_crypto] = load(tmp_path, """
[[package]]
id = "c"
title = "C"
credits = 10
[package.prices]
cryptopay = { amount = "1.5", asset = "TON" }
""")
    assert only_crypto.stars is None
    assert only_crypto.price_for(CRYPTOPAY) == CryptoAmount(Decimal("1.5"), "TON")
    with pytest.raises(PackageUnavailable):
        only_crypto.price_for(STARS)


@pytest.mark.parametrize(("text", "expected"), [
    ('[package.prices]\npaypal = 5\n', "prices.paypal: not a provider Starport knows"),
    ('stars = 5\n[package.prices]\ntelegram_stars = 5\n', "two prices for telegram_stars"),
    ('[package.prices]\ntelegram_stars = "5"\n', "prices.telegram_stars is a whole number"),
    ('[package.prices]\ncryptopay = 5\n', 'prices.cryptopay is { amount = "1.5", asset'),
    ('[package.prices]\ncryptopay = { amount = 1.5, asset = "TON" }\n',
     "amounts are never floats"),
    ('prices = 5\n', "prices is a table"),
    ('', "has no price"),
    ('[package.prices]\ntelegram_payments = { amount = "1", asset = "TON" }\n',
     'prices.telegram_payments is { amount = "4.99", currency = "USD" }'),
    ('[package.prices]\ntelegram_payments = { amount = "4.99", currency = "XYZ" }\n',
     "Telegram Payments does not take XYZ"),
    ('[package.prices]\ntelegram_payments = { amount = "0.50", currency = "USD" }\n',
     "Telegram Payments takes 1.00-"),
    ('[package.prices]\ntelegram_payments = { amount = "20000", currency = "USD" }\n',
     "USD per invoice, not 20000"),
    ('[package.prices]\ntelegram_payments = { amount = "4.999", currency = "USD" }\n',
     "finer than the smallest unit of USD"),
    ('[package.prices]\ntelegram_payments = { amount = "500.5", currency = "JPY" }\n',
     "finer than the smallest unit of JPY"),
])
def test_a_price_mistake_names_the_package_and_the_key(tmp_path: Path, text: str,
                                                       expected: str) -> None:
    with pytest.raises(CatalogError) as raised:
        load(tmp_path, f'[[package]]\nid = "x"\ntitle = "X"\ncredits = 10\n{text}')
    assert "package x" in str(raised.value) and expected in str(raised.value)


def test_a_card_price_is_a_currency_telegram_takes_within_its_limits(tmp_path: Path) -> None:
    [usd, yen] = load(tmp_path, """
[[package]]
id = "usd"
title = "USD"
credits = 100
[package.prices]
telegram_payments = { amount = "4.99", currency = "USD" }

[[package]]
id = "yen"
title = "Yen"
credits = 100
[package.prices]
telegram_payments = { amount = "500", currency = "JPY" }
""")
    assert usd.price_for(CARDS) == FiatAmount(Decimal("4.99"), "USD")
    assert yen.price_for(CARDS) == FiatAmount(Decimal("500"), "JPY")
    with pytest.raises(PackageUnavailable):
        usd.price_for(STARS)


def test_a_subscription_has_no_card_price() -> None:
    with pytest.raises(InvalidAmount, match="priced in Stars only"):
        CreditPackage("x", "X", 10, Stars(5), subscription=True,
                      prices={CARDS: FiatAmount(Decimal("4.99"), "USD")})


def test_the_domain_refuses_a_price_in_the_wrong_kind_or_given_twice() -> None:
    with pytest.raises(InvalidAmount, match="a telegram_stars price is a whole number"):
        CreditPackage("x", "X", 10, prices={STARS: CryptoAmount(Decimal("1"), "TON")})
    with pytest.raises(InvalidAmount, match="two prices for telegram_stars"):
        CreditPackage("x", "X", 10, Stars(5), prices={STARS: Stars(6)})
    with pytest.raises(InvalidAmount, match="priced in Stars only"):
        CreditPackage("x", "X", 10, prices={STARS: Stars(5),
                                            CRYPTOPAY: CryptoAmount(Decimal("1"), "TON")},
                      subscription=True)


def test_the_host_api_lists_prices_by_provider_name() -> None:
    pkg = CreditPackage("p", "P", 550, prices={STARS: Stars(250),
                                               CRYPTOPAY: FiatAmount(Decimal("4.99"), "USD"),
                                               CARDS: FiatAmount(Decimal("500"), "JPY")})
    assert serialized(pkg)["prices"] == {
        "telegram_stars": 250, "cryptopay": {"amount": "4.99", "currency": "USD"},
        "telegram_payments": {"amount": "500", "currency": "JPY"}}
