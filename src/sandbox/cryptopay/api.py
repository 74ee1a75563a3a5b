"""The Crypto Pay API methods over the sandbox's in-memory state."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from starport.sandbox.cryptopay import catalog, validation
from starport.sandbox.cryptopay.catalog import plain
from starport.sandbox.cryptopay.errors import ApiError
from starport.sandbox.cryptopay.invoices import SandboxInvoice
from starport.sandbox.cryptopay.transfers import Transfers

BOT = "CryptoTestnetBot"


@dataclass
class Ledger:
    """Per-asset balances of the one sandbox app."""

    available: dict[str, Decimal] = field(default_factory=dict)
    onhold: dict[str, Decimal] = field(default_factory=dict)

    def credit(self, asset: str, amount: Decimal) -> None:
        self.available[asset] = self.available.get(asset, Decimal(0)) + amount

    def debit(self, asset: str, amount: Decimal) -> None:
        self.credit(asset, -amount)

    def to_json(self) -> list[dict[str, str]]:
        return [
            {
                "currency_code": code,
                "available": plain(self.available.get(code, Decimal(0))),
                "onhold": plain(self.onhold.get(code, Decimal(0))),
            }
            for code in catalog.CRYPTO_USD
        ]


class CryptoPayApi:
    """getMe, createInvoice, getInvoices, deleteInvoice, transfer, getTransfers, getCurrencies,
    getExchangeRates, getBalance: answers are the `result` of the real API, errors ApiError."""

    def __init__(self, app_id: int, app_name: str, clock: Callable[[], datetime]) -> None:
        self.app_id = app_id
        self.app_name = app_name
        self.clock = clock
        self.invoices: dict[int, SandboxInvoice] = {}
        self.ledger = Ledger()
        self.transfers = Transfers()
        self._next_id = 1

    def call(self, method: str, params: Mapping[str, Any], public_url: str | None) -> Any:
        handlers: dict[str, Callable[[], Any]] = {
            "getMe": self.get_me,
            "createInvoice": lambda: self.create_invoice(params, public_url).to_json(),
            "getInvoices": lambda: self.get_invoices(params),
            "deleteInvoice": lambda: self.delete_invoice(params),
            "transfer": lambda: self.transfer(params),
            "getTransfers": lambda: self.transfers.list(params),
            "getCurrencies": catalog.currencies,
            "getExchangeRates": catalog.exchange_rates,
            "getBalance": self.ledger.to_json,
        }
        if method not in handlers:
            raise ApiError(405, "METHOD_NOT_FOUND")
        return handlers[method]()

    def continue_after(self, invoice_id: int) -> None:
        """Number the next invoices after `invoice_id`."""
        self._next_id = max(self._next_id, invoice_id + 1)

    def get_me(self) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "name": self.app_name,
            "payment_processing_bot_username": BOT,
        }

    def create_invoice(self, params: Mapping[str, Any], public_url: str | None) -> SandboxInvoice:
        fields = validation.create_invoice(params)
        expires_in = fields.pop("expires_in", None)
        now = self.clock()
        invoice_hash = "IV" + "".join(secrets.choice(_ALPHABET) for _ in range(10))
        web = f"{public_url}/pay/{invoice_hash}" if public_url else None
        invoice = SandboxInvoice(
            invoice_id=self._next_id,
            hash=invoice_hash,
            created_at=now,
            expiration_date=now + timedelta(seconds=expires_in) if expires_in else None,
            bot_invoice_url=f"https://t.me/{BOT}?start={invoice_hash}",
            mini_app_invoice_url=f"https://t.me/{BOT}/app?startapp=invoice-{invoice_hash}",
            web_app_invoice_url=web or f"https://testnet-app.send.tg/invoices/{invoice_hash}",
            **fields,
        )
        self._next_id += 1
        self.invoices[invoice.invoice_id] = invoice
        return invoice

    def get_invoices(self, params: Mapping[str, Any]) -> dict[str, Any]:
        query = validation.get_invoices(params)
        found = [
            invoice
            for invoice in sorted(self.invoices.values(), key=lambda i: -i.invoice_id)
            if self._matches(invoice, query)
        ]
        page = found[query["offset"] : query["offset"] + query["count"]]
        return {"items": [invoice.to_json() for invoice in page]}

    def delete_invoice(self, params: Mapping[str, Any]) -> bool:
        invoice_id = validation.invoice_id(params)
        if self.invoices.pop(invoice_id, None) is None:
            raise ApiError(400, "INVOICE_NOT_FOUND")
        return True

    def transfer(self, params: Mapping[str, Any]) -> dict[str, Any]:
        made = self.transfers.transfer(params, self.ledger.available, self.ledger.debit,
                                       self.clock())
        return made.to_json()

    def invoice(self, invoice_id: int) -> SandboxInvoice:
        """The invoice, expired first if its time has come."""
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise ApiError(400, "INVOICE_NOT_FOUND")
        invoice.refresh(self.clock())
        return invoice

    def _matches(self, invoice: SandboxInvoice, query: Mapping[str, Any]) -> bool:
        invoice.refresh(self.clock())
        return (
            (not query["invoice_ids"] or invoice.invoice_id in query["invoice_ids"])
            and (query["status"] is None or invoice.status == query["status"])
            and (not query["assets"] or invoice.asset in query["assets"])
            and (not query["fiats"] or invoice.fiat in query["fiats"])
        )


_ALPHABET = string.ascii_letters + string.digits
