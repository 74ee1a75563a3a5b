"""Money value objects: Stars (int XTR), crypto and fiat amounts (Decimal + code), Credits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from starport.domain.errors import InvalidAmount


def parse_decimal(value: str | int | Decimal) -> Decimal:
    """Parse an amount from its text; floats are refused so no binary rounding sneaks in."""
    if isinstance(value, bool | float):
        raise InvalidAmount(f"amounts are never floats: {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InvalidAmount(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise InvalidAmount(f"not a finite amount: {value!r}")
    return amount


@dataclass(frozen=True, slots=True)
class Stars:
    """A positive whole number of Telegram Stars (currency XTR)."""

    amount: int
    currency = "XTR"

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise InvalidAmount(f"Stars must be a positive integer, got {self.amount!r}")

    def __str__(self) -> str:
        return f"{self.amount} XTR"


@dataclass(frozen=True, slots=True)
class CryptoAmount:
    """An amount of a crypto asset (TON, USDT, ...), exact."""

    amount: Decimal
    asset: str

    def __post_init__(self) -> None:
        _check_decimal(self.amount)
        if not self.asset or not self.asset.isalnum() or self.asset != self.asset.upper():
            raise InvalidAmount(f"asset code must be upper-case letters/digits: {self.asset!r}")

    @property
    def currency(self) -> str:
        return self.asset

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.asset}"


@dataclass(frozen=True, slots=True)
class FiatAmount:
    """An amount of a fiat currency (ISO 4217 code), exact."""

    amount: Decimal
    code: str

    def __post_init__(self) -> None:
        _check_decimal(self.amount)
        if len(self.code) != 3 or not self.code.isalpha() or self.code != self.code.upper():
            raise InvalidAmount(f"fiat code must be three upper-case letters: {self.code!r}")

    @property
    def currency(self) -> str:
        return self.code

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.code}"


@dataclass(frozen=True, slots=True, order=True)
class Credits:
    """A whole number of the host application's credits (never negative as an amount)."""

    amount: int

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise InvalidAmount(f"credits must be a non-negative integer, got {self.amount!r}")

    def __add__(self, other: Credits) -> Credits:
        return Credits(self.amount + other.amount)

    def __str__(self) -> str:
        return str(self.amount)


Price = Stars | CryptoAmount | FiatAmount

# ISO 4217 minor-unit exponents that are not 2 (Telegram's currencies.json agrees); XTR has none.
_EXPONENTS = {
    "XTR": 0, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}


def shown(price: Price) -> str:
    """A price as buyers read it in Telegram: "50 ⭐", "4.90 USD" (a currency with all the
    decimals of its smallest unit, as Telegram's invoice shows it), "500 JPY", "1.5 TON"."""
    if isinstance(price, Stars):
        return f"{price.amount} ⭐"
    if isinstance(price, FiatAmount):
        written = price.amount.normalize().as_tuple().exponent  # finite: never "n" or "F"
        digits = max(exponent(price.code), -written if isinstance(written, int) else 0)
        return f"{price.amount:.{digits}f} {price.code}"
    return str(price)


def exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's smallest unit (USD 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency, 2)


def minor_units(price: Price) -> int:
    """A price in the currency's smallest units, as Telegram's invoices take it (4.99 USD is
    499, 500 JPY is 500, 50 Stars is 50); a price finer than the smallest unit is refused."""
    if isinstance(price, Stars):
        return price.amount
    units = price.amount.scaleb(exponent(price.currency))
    if units != units.to_integral_value():
        raise InvalidAmount(f"{price} is finer than the smallest unit of {price.currency} "
                            f"({exponent(price.currency)} decimals)")
    return int(units)


def price_from_minor_units(currency: str, total_amount: int) -> Price:
    """Telegram's `total_amount` is in the currency's smallest units: 50 XTR is 50 Stars,
    1999 USD is 19.99 USD. The one place that conversion is made."""
    if isinstance(total_amount, bool) or not isinstance(total_amount, int):
        raise InvalidAmount(f"a total amount is a whole number of minor units: {total_amount!r}")
    if currency == Stars.currency:
        return Stars(total_amount)
    return FiatAmount(Decimal(total_amount).scaleb(-exponent(currency)), currency)


def _check_decimal(amount: Decimal) -> None:
    if not isinstance(amount, Decimal):
        raise InvalidAmount(f"amount must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite() or amount <= 0:
        raise InvalidAmount(f"amount must be positive and finite, got {amount}")
