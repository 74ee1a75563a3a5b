"""Money value objects: Stars (int XTR), crypto and fiat amounts (Decimal + code), Credits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidAmount


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


def _check_decimal(amount: Decimal) -> None:
    if not isinstance(amount, Decimal):
        raise InvalidAmount(f"amount must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite() or amount <= 0:
        raise InvalidAmount(f"amount must be positive and finite, got {amount}")
