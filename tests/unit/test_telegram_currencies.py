"""The currency table of Telegram Payments: written twice (app and sandbox), the same data."""

from __future__ import annotations

from dataclasses import astuple

import pytest

from starport.adapters.telegram.currencies import TELEGRAM_CURRENCIES, limits
from starport.domain.money import exponent
from starport.sandbox.telegram import currencies as sandbox_currencies

# The common currencies hosts sell in: each must be in the table.
# fmt: off
COMMON = [
    "USD", "EUR", "GBP", "RUB", "UAH", "KZT", "INR", "BRL", "TRY", "PLN", "CZK", "CHF", "SEK",
    "NOK", "DKK", "JPY", "KRW", "CNY", "HKD", "SGD", "AUD", "CAD", "NZD", "ILS", "AED", "SAR",
    "KWD", "BHD", "JOD", "OMR", "IDR", "VND", "THB", "MYR", "PHP", "MXN", "ARS", "CLP", "COP",
    "PEN", "ZAR", "EGP", "NGN", "UZS", "GEL", "AMD", "AZN", "BYN", "MDL", "RON", "HUF", "BGN",
]
# fmt: on


def test_the_app_and_the_sandbox_hold_the_same_table() -> None:
    app = {code: astuple(row) for code, row in TELEGRAM_CURRENCIES.items()}
    sandbox = {code: astuple(row) for code, row in sandbox_currencies.TELEGRAM_CURRENCIES.items()}
    assert app == sandbox


def test_the_common_currencies_are_in_the_table() -> None:
    assert [code for code in COMMON if limits(code) is None] == []


@pytest.mark.parametrize("code", sorted(TELEGRAM_CURRENCIES))
def test_each_row_agrees_with_the_domain_and_with_itself(code: str) -> None:
    row = TELEGRAM_CURRENCIES[code]
    assert row.code == code
    assert row.exponent == exponent(code), "domain.money and Telegram disagree on the exponent"
    assert 0 < row.min_amount < row.max_amount


def test_the_limits_are_about_1_to_10000_dollars() -> None:
    usd = limits("USD")
    assert usd is not None and (usd.min_amount, usd.max_amount) == (100, 1_000_000)
    for row in TELEGRAM_CURRENCIES.values():
        assert row.max_amount == pytest.approx(10_000 * row.min_amount, rel=0.01)


def test_stars_and_unknown_codes_have_no_limits() -> None:
    assert limits("XTR") is None
    assert limits("XYZ") is None
    assert limits("usd") is None  # codes are upper case, as Telegram sends them
