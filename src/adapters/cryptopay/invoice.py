"""The Crypto Pay Invoice object: a frozen model, amounts exact Decimals, times aware."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from starport.adapters.cryptopay.enums import CurrencyType, InvoiceStatus
from starport.adapters.text import Received


def _amount(value: Any) -> Decimal:
    """From a string (or an int, or a number the JSON reader already made exact); never from a
    float, which would carry its binary rounding in."""
    if isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
        raise ValueError("an amount is a decimal string")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError("an amount is a decimal string") from None
    if not amount.is_finite():
        raise ValueError("an amount is finite")
    return amount


def _when(value: Any) -> datetime:
    """ISO 8601 (`2024-01-01T12:00:00.000Z`); a naive one is UTC."""
    if not isinstance(value, str):
        raise ValueError("a date is an ISO 8601 string")
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _codes(value: Any) -> tuple[str, ...]:
    """A list of codes, sent as a JSON array or a comma-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError("a list of codes")


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("an integer")
    return int(value)


Amount = Annotated[Decimal, BeforeValidator(_amount)]
When = Annotated[datetime, BeforeValidator(_when)]
Codes = Annotated[tuple[str, ...], BeforeValidator(_codes)]
Integer = Annotated[int, BeforeValidator(_integer)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Invoice(Model):
    """An invoice; `asset` is set for crypto invoices, `fiat` (+ `accepted_assets`) for fiat."""

    invoice_id: Integer
    hash: Received
    status: InvoiceStatus
    currency_type: CurrencyType = CurrencyType.CRYPTO
    amount: Amount
    created_at: When
    asset: Received | None = None
    fiat: Received | None = None
    accepted_assets: Codes = ()
    paid_asset: Received | None = None
    paid_amount: Amount | None = None
    paid_fiat_rate: Amount | None = None
    paid_usd_rate: Amount | None = None
    fee_asset: Received | None = None
    fee_amount: Amount | None = None
    bot_invoice_url: Received = ""
    mini_app_invoice_url: Received = ""
    web_app_invoice_url: Received = ""
    description: Received | None = None
    hidden_message: Received | None = None
    payload: Received | None = None
    paid_btn_name: Received | None = None
    paid_btn_url: Received | None = None
    allow_comments: bool = True
    allow_anonymous: bool = True
    expiration_date: When | None = None
    paid_at: When | None = None
    paid_anonymously: bool | None = None
    comment: Received | None = None

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, data: Any) -> Any:
        """`pay_url` was the old name of `bot_invoice_url`; a null currency type is crypto."""
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if v is not None or k == "payload"}
            if "bot_invoice_url" not in data and "pay_url" in data:
                data["bot_invoice_url"] = data["pay_url"]
        return data

    @property
    def is_paid(self) -> bool:
        return self.status is InvoiceStatus.PAID

    @classmethod
    def from_json(cls, data: Any) -> Invoice:
        """Raises ValueError (a pydantic ValidationError) on anything malformed."""
        return cls.model_validate(data)
