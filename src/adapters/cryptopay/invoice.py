"""The Crypto Pay Invoice object, parsed strictly from the API's JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from adapters.cryptopay.enums import CurrencyType, InvoiceStatus
from adapters.cryptopay.parsing import (
    Json,
    datetime_or_none,
    decimal,
    decimal_or_none,
    str_or_none,
    string_tuple,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    """An invoice; `asset` is set for crypto invoices, `fiat` (+ `accepted_assets`) for fiat."""

    invoice_id: int
    hash: str
    status: InvoiceStatus
    currency_type: CurrencyType
    amount: Decimal
    created_at: datetime
    asset: str | None = None
    fiat: str | None = None
    accepted_assets: tuple[str, ...] = ()
    paid_asset: str | None = None
    paid_amount: Decimal | None = None
    paid_fiat_rate: Decimal | None = None
    paid_usd_rate: Decimal | None = None
    fee_asset: str | None = None
    fee_amount: Decimal | None = None
    bot_invoice_url: str = ""
    mini_app_invoice_url: str = ""
    web_app_invoice_url: str = ""
    description: str | None = None
    hidden_message: str | None = None
    payload: str | None = None
    paid_btn_name: str | None = None
    paid_btn_url: str | None = None
    allow_comments: bool = True
    allow_anonymous: bool = True
    expiration_date: datetime | None = None
    paid_at: datetime | None = None
    paid_anonymously: bool | None = None
    comment: str | None = None

    @property
    def is_paid(self) -> bool:
        return self.status is InvoiceStatus.PAID

    @classmethod
    def from_json(cls, data: Json) -> Invoice:
        """Raise KeyError/ValueError/TypeError/InvalidResponse on anything malformed."""
        created_at = datetime_or_none(data["created_at"])
        if created_at is None:
            raise ValueError("created_at is required")
        return cls(
            invoice_id=_int(data["invoice_id"]),
            hash=str(data["hash"]),
            status=InvoiceStatus(data["status"]),
            currency_type=CurrencyType(data.get("currency_type") or CurrencyType.CRYPTO),
            amount=decimal(data["amount"]),
            created_at=created_at,
            asset=str_or_none(data.get("asset")),
            fiat=str_or_none(data.get("fiat")),
            accepted_assets=string_tuple(data.get("accepted_assets")),
            paid_asset=str_or_none(data.get("paid_asset")),
            paid_amount=decimal_or_none(data.get("paid_amount")),
            paid_fiat_rate=decimal_or_none(data.get("paid_fiat_rate")),
            paid_usd_rate=decimal_or_none(data.get("paid_usd_rate")),
            fee_asset=str_or_none(data.get("fee_asset")),
            fee_amount=decimal_or_none(data.get("fee_amount")),
            bot_invoice_url=str(data.get("bot_invoice_url") or data.get("pay_url") or ""),
            mini_app_invoice_url=str(data.get("mini_app_invoice_url") or ""),
            web_app_invoice_url=str(data.get("web_app_invoice_url") or ""),
            description=str_or_none(data.get("description")),
            hidden_message=str_or_none(data.get("hidden_message")),
            payload=str_or_none(data.get("payload")),
            paid_btn_name=str_or_none(data.get("paid_btn_name")),
            paid_btn_url=str_or_none(data.get("paid_btn_url")),
            allow_comments=bool(data.get("allow_comments", True)),
            allow_anonymous=bool(data.get("allow_anonymous", True)),
            expiration_date=datetime_or_none(data.get("expiration_date")),
            paid_at=datetime_or_none(data.get("paid_at")),
            paid_anonymously=data.get("paid_anonymously"),
            comment=str_or_none(data.get("comment")),
        )


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("integer expected")
    return int(value)
