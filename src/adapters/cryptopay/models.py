"""Frozen values returned by the Crypto Pay adapter (amounts are Decimal, times are aware)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from starport.adapters.cryptopay.enums import CurrencyType, InvoiceStatus, PaidButtonName
from starport.adapters.cryptopay.invoice import Invoice, Model, When
from starport.adapters.cryptopay.parsing import Json, decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class App:
    app_id: int
    name: str
    payment_processing_bot_username: str

    @classmethod
    def from_json(cls, data: Json) -> App:
        return cls(
            app_id=int(data["app_id"]),
            name=str(data["name"]),
            payment_processing_bot_username=str(data["payment_processing_bot_username"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    currency_code: str
    available: Decimal
    onhold: Decimal

    @classmethod
    def from_json(cls, data: Json) -> Balance:
        return cls(
            currency_code=str(data["currency_code"]),
            available=decimal(data["available"]),
            onhold=decimal(data.get("onhold", "0")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeRate:
    source: str
    target: str
    rate: Decimal
    is_valid: bool
    is_crypto: bool
    is_fiat: bool

    @classmethod
    def from_json(cls, data: Json) -> ExchangeRate:
        return cls(
            source=str(data["source"]),
            target=str(data["target"]),
            rate=decimal(data["rate"]),
            is_valid=bool(data.get("is_valid", True)),
            is_crypto=bool(data.get("is_crypto", False)),
            is_fiat=bool(data.get("is_fiat", False)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Currency:
    code: str
    name: str
    decimals: int
    is_blockchain: bool
    is_stablecoin: bool
    is_fiat: bool
    url: str | None = None

    @classmethod
    def from_json(cls, data: Json) -> Currency:
        return cls(
            code=str(data["code"]),
            name=str(data["name"]),
            decimals=int(data["decimals"]),
            is_blockchain=bool(data.get("is_blockchain", False)),
            is_stablecoin=bool(data.get("is_stablecoin", False)),
            is_fiat=bool(data.get("is_fiat", False)),
            url=data.get("url"),
        )


class CryptoPayUpdate(Model):
    """A verified webhook: today Crypto Pay sends only `invoice_paid`."""

    update_id: Annotated[int, Field(strict=True, ge=0, le=2**63 - 1)]
    update_type: Annotated[str, Field(strict=True, min_length=1)]
    request_date: When
    payload: Invoice


__all__ = [
    "App",
    "Balance",
    "CryptoPayUpdate",
    "Currency",
    "CurrencyType",
    "ExchangeRate",
    "Invoice",
    "InvoiceStatus",
    "PaidButtonName",
]
