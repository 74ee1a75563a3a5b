"""The currencies the emulator takes for invoices paid by card: exponent and amount limits.

The same snapshot (2026-12-02) of https://core.telegram.org/bots/payments/currencies.json as
src/adapters/telegram/currencies.py (the sandbox may not import the app, nor the app the
sandbox, so the table is written twice; tests/unit/test_telegram_currencies.py compares them).
APPROXIMATE: Telegram recomputes min_amount (about 1 USD) and max_amount (about 10,000 USD) from
exchange rates; these are those equivalents at rough late-2025 rates, rounded. BHD, BYN, JOD,
KWD and OMR were not in older copies of the file: kept with their ISO 4217 exponent, unverified.
BGN is kept though Bulgaria moved to the euro on 2026-01-01.

To refresh: fetch the JSON, copy `exp`, `min_amount` and `max_amount` (strings there, minor
units) of each code kept here into both tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class CurrencyLimits:
    """A currency's decimal exponent and the total an invoice may ask, in its minor units."""

    code: str
    exponent: int
    min_amount: int
    max_amount: int


# code, exp, min_amount, max_amount (minor units: cents, or yen for JPY, fils for KWD)
_TABLE = (
    ("AED", 2, 367, 3_670_000),
    ("AMD", 2, 38_300, 383_000_000),
    ("ARS", 2, 145_000, 1_450_000_000),
    ("AUD", 2, 153, 1_530_000),
    ("AZN", 2, 170, 1_700_000),
    ("BGN", 2, 168, 1_680_000),
    ("BHD", 3, 376, 3_760_000),
    ("BRL", 2, 540, 5_400_000),
    ("BYN", 2, 295, 2_950_000),
    ("CAD", 2, 140, 1_400_000),
    ("CHF", 2, 80, 800_000),
    ("CLP", 0, 940, 9_400_000),
    ("CNY", 2, 710, 7_100_000),
    ("COP", 2, 380_000, 3_800_000_000),
    ("CZK", 2, 2_100, 21_000_000),
    ("DKK", 2, 645, 6_450_000),
    ("EGP", 2, 4_750, 47_500_000),
    ("EUR", 2, 86, 860_000),
    ("GBP", 2, 76, 760_000),
    ("GEL", 2, 270, 2_700_000),
    ("HKD", 2, 778, 7_780_000),
    ("HUF", 2, 33_000, 330_000_000),
    ("IDR", 2, 1_660_000, 16_600_000_000),
    ("ILS", 2, 325, 3_250_000),
    ("INR", 2, 8_800, 88_000_000),
    ("JOD", 3, 709, 7_090_000),
    ("JPY", 0, 155, 1_550_000),
    ("KRW", 0, 1_450, 14_500_000),
    ("KWD", 3, 307, 3_070_000),
    ("KZT", 2, 51_000, 510_000_000),
    ("MDL", 2, 1_700, 17_000_000),
    ("MXN", 2, 1_840, 18_400_000),
    ("MYR", 2, 415, 4_150_000),
    ("NGN", 2, 145_000, 1_450_000_000),
    ("NOK", 2, 1_010, 10_100_000),
    ("NZD", 2, 175, 1_750_000),
    ("OMR", 3, 385, 3_850_000),
    ("PEN", 2, 338, 3_380_000),
    ("PHP", 2, 5_850, 58_500_000),
    ("PLN", 2, 365, 3_650_000),
    ("RON", 2, 437, 4_370_000),
    ("RUB", 2, 8_000, 80_000_000),
    ("SAR", 2, 375, 3_750_000),
    ("SEK", 2, 950, 9_500_000),
    ("SGD", 2, 130, 1_300_000),
    ("THB", 2, 3_250, 32_500_000),
    ("TRY", 2, 4_200, 42_000_000),
    ("UAH", 2, 4_150, 41_500_000),
    ("USD", 2, 100, 1_000_000),
    ("UZS", 2, 1_200_000, 12_000_000_000),
    ("VND", 0, 26_300, 263_000_000),
    ("ZAR", 2, 1_730, 17_300_000),
)

TELEGRAM_CURRENCIES: Mapping[str, CurrencyLimits] = MappingProxyType(
    {row[0]: CurrencyLimits(*row) for row in _TABLE}
)


def limits(code: str) -> CurrencyLimits | None:
    """The limits of `code` (upper-case ISO 4217), None when Telegram Payments does not take it."""
    return TELEGRAM_CURRENCIES.get(code)
