"""The sandbox's mutable invoice record and its JSON form (the API's Invoice object)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starport.sandbox.cryptopay.catalog import plain


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`, as Crypto Pay writes dates."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(kw_only=True)
class SandboxInvoice:
    invoice_id: int
    hash: str
    currency_type: str
    amount: Decimal
    created_at: datetime
    asset: str | None = None
    fiat: str | None = None
    accepted_assets: list[str] = field(default_factory=list)
    status: str = "active"
    description: str | None = None
    hidden_message: str | None = None
    payload: str | None = None
    paid_btn_name: str | None = None
    paid_btn_url: str | None = None
    allow_comments: bool = True
    allow_anonymous: bool = True
    expiration_date: datetime | None = None
    bot_invoice_url: str = ""
    mini_app_invoice_url: str = ""
    web_app_invoice_url: str = ""
    paid_at: datetime | None = None
    paid_asset: str | None = None
    paid_amount: Decimal | None = None
    paid_fiat_rate: Decimal | None = None
    paid_usd_rate: Decimal | None = None
    fee_asset: str | None = None
    fee_amount: Decimal | None = None
    paid_anonymously: bool | None = None
    comment: str | None = None
    underpaid: bool = False  # fault injection marker; never sent over the API

    def refresh(self, now: datetime) -> None:
        """Expire lazily, the moment anyone looks after the expiration date."""
        if self.status == "active" and self.expiration_date and now >= self.expiration_date:
            self.status = "expired"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "invoice_id": self.invoice_id,
            "hash": self.hash,
            "currency_type": self.currency_type,
        }
        if self.currency_type == "fiat":
            data["fiat"] = self.fiat
        else:
            data["asset"] = self.asset
        data |= {
            "amount": plain(self.amount),
            "bot_invoice_url": self.bot_invoice_url,
            "mini_app_invoice_url": self.mini_app_invoice_url,
            "web_app_invoice_url": self.web_app_invoice_url,
            "status": self.status,
            "created_at": iso(self.created_at),
            "allow_comments": self.allow_comments,
            "allow_anonymous": self.allow_anonymous,
        }
        optional: dict[str, Any] = {
            "description": self.description,
            "hidden_message": self.hidden_message,
            "payload": self.payload,
            "paid_btn_name": self.paid_btn_name,
            "paid_btn_url": self.paid_btn_url,
            "expiration_date": self.expiration_date and iso(self.expiration_date),
            "accepted_assets": self.accepted_assets or None,
            "paid_asset": self.paid_asset,
            "paid_amount": _amount(self.paid_amount),
            "paid_fiat_rate": _amount(self.paid_fiat_rate),
            "paid_usd_rate": _amount(self.paid_usd_rate),
            "fee_asset": self.fee_asset,
            "fee_amount": _amount(self.fee_amount),
            "paid_anonymously": self.paid_anonymously,
            "paid_at": self.paid_at and iso(self.paid_at),
            "comment": self.comment,
        }
        data |= {key: value for key, value in optional.items() if value is not None}
        return data


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)
