"""Settle an invoice as a payer would: which asset, how much, the fee, what the app earns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from starport.sandbox.cryptopay import catalog
from starport.sandbox.cryptopay.errors import ApiError
from starport.sandbox.cryptopay.invoices import SandboxInvoice


def choose_asset(invoice: SandboxInvoice, paid_asset: str | None) -> str:
    """The invoice's asset (crypto), or one of its accepted assets (fiat; USDT if accepted)."""
    if invoice.currency_type == "crypto":
        assert invoice.asset is not None
        if paid_asset not in (None, invoice.asset):
            raise ApiError(400, "PAID_ASSET_INVALID")
        return invoice.asset
    if paid_asset is None:
        return "USDT" if "USDT" in invoice.accepted_assets else invoice.accepted_assets[0]
    if paid_asset not in invoice.accepted_assets:
        raise ApiError(400, "PAID_ASSET_NOT_ACCEPTED")
    return paid_asset


def full_amount(invoice: SandboxInvoice, asset: str) -> Decimal:
    """What paying in full costs in `asset`, at the fixed rates, rounded in the app's favour."""
    if invoice.currency_type == "crypto":
        return invoice.amount
    assert invoice.fiat is not None
    return catalog.quantize(invoice.amount / catalog.rate(asset, invoice.fiat), asset, up=True)


def settle(
    invoice: SandboxInvoice,
    *,
    asset: str,
    paid_amount: Decimal,
    now: datetime,
    comment: str | None = None,
    paid_anonymously: bool = False,
) -> Decimal:
    """Mark the invoice paid; return what the app's balance gains (paid minus the fee)."""
    if invoice.status != "active":
        raise ApiError(400, f"INVOICE_{invoice.status.upper()}")
    fee = catalog.quantize(paid_amount * catalog.FEE_RATE, asset)
    invoice.status = "paid"
    invoice.paid_at = now
    invoice.paid_asset = asset
    invoice.paid_amount = paid_amount
    invoice.paid_usd_rate = catalog.CRYPTO_USD[asset]
    if invoice.fiat is not None:
        invoice.paid_fiat_rate = catalog.rate(asset, invoice.fiat)
    invoice.fee_asset = asset
    invoice.fee_amount = fee
    invoice.paid_anonymously = paid_anonymously
    invoice.comment = comment if invoice.allow_comments else None
    return paid_amount - fee


def short_amount(
    full: Decimal, asset: str, paid_amount: Decimal | None, fraction: Decimal | None
) -> Decimal:
    """FAULT INJECTION: an amount below the full price, which real Crypto Pay never accepts."""
    if paid_amount is None:
        share = Decimal("0.5") if fraction is None else fraction
        if not Decimal(0) < share < Decimal(1):
            raise ApiError(400, "FRACTION_INVALID")
        paid_amount = catalog.quantize(full * share, asset)
    if not Decimal(0) < paid_amount < full:
        raise ApiError(400, "UNDERPAY_AMOUNT_INVALID")
    return paid_amount
