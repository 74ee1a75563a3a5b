"""Fixed currencies and exchange rates of the sandbox, so amounts are reproducible."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, ROUND_UP, Decimal

# USD price of one unit of each asset, and units of each fiat per USD: fixed, realistic-ish.
CRYPTO_USD: dict[str, Decimal] = {
    "USDT": Decimal("1"),
    "USDC": Decimal("1"),
    "TON": Decimal("5.5"),
    "BTC": Decimal("65000"),
    "ETH": Decimal("3200"),
    "LTC": Decimal("80"),
    "BNB": Decimal("580"),
    "TRX": Decimal("0.12"),
}
CRYPTO_NAMES = {
    "USDT": "Tether",
    "USDC": "USD Coin",
    "TON": "Toncoin",
    "BTC": "Bitcoin",
    "ETH": "Ethereum",
    "LTC": "Litecoin",
    "BNB": "Binance Coin",
    "TRX": "TRON",
}
DECIMALS = {"USDT": 6, "USDC": 6, "TON": 9, "BTC": 8, "ETH": 18, "LTC": 8, "BNB": 18, "TRX": 6}
FIAT_PER_USD: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "RUB": Decimal("90"),
    "UAH": Decimal("41"),
    "KZT": Decimal("480"),
    "BYN": Decimal("3.25"),
    "TRY": Decimal("34"),
    "INR": Decimal("84"),
    "BRL": Decimal("5.6"),
}
FIAT_NAMES = {"USD": "US Dollar", "EUR": "Euro", "GBP": "Pound Sterling", "RUB": "Russian Ruble"}
FEE_RATE = Decimal("0.03")
MIN_USD = Decimal("0.01")
MAX_USD = Decimal("1000000")


def is_asset(code: str) -> bool:
    return code in CRYPTO_USD


def is_fiat(code: str) -> bool:
    return code in FIAT_PER_USD


def rate(asset: str, fiat: str) -> Decimal:
    """Price of one unit of `asset` in `fiat`."""
    return CRYPTO_USD[asset] * FIAT_PER_USD[fiat]


def usd_value(amount: Decimal, code: str) -> Decimal:
    if is_asset(code):
        return amount * CRYPTO_USD[code]
    return amount / FIAT_PER_USD[code]


def quantize(amount: Decimal, asset: str, *, up: bool = False) -> Decimal:
    """Round to the asset's precision; payers round up so they never pay short."""
    step = Decimal(1).scaleb(-DECIMALS[asset])
    return amount.quantize(step, rounding=ROUND_UP if up else ROUND_HALF_UP).normalize()


def exchange_rates() -> list[dict[str, object]]:
    return [
        {
            "is_valid": True,
            "is_crypto": True,
            "is_fiat": False,
            "source": asset,
            "target": fiat,
            "rate": plain(rate(asset, fiat)),
        }
        for asset in CRYPTO_USD
        for fiat in FIAT_PER_USD
    ]


def currencies() -> list[dict[str, object]]:
    crypto = [
        {
            "is_blockchain": code not in ("USDT", "USDC"),
            "is_stablecoin": code in ("USDT", "USDC"),
            "is_fiat": False,
            "name": CRYPTO_NAMES[code],
            "code": code,
            "decimals": DECIMALS[code],
        }
        for code in CRYPTO_USD
    ]
    fiat = [
        {
            "is_blockchain": False,
            "is_stablecoin": False,
            "is_fiat": True,
            "name": FIAT_NAMES.get(code, code),
            "code": code,
            "decimals": 8,
        }
        for code in FIAT_PER_USD
    ]
    return crypto + fiat


def plain(value: Decimal) -> str:
    """A Decimal as the API writes amounts: a string, no exponent."""
    return format(value.normalize(), "f")
