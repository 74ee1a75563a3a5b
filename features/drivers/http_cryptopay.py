"""The payer's side in the sandbox Crypto Pay: find a purchase's invoice, pay it in full, short
or over, and have its webhook delivered, dropped or sent again; the app's transfers back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from features.drivers.base import Refused
from starport.adapters.cryptopay.provider import refund_spend_id
from starport.sandbox.cryptopay import WebhookMode, catalog
from starport.sandbox.cryptopay import payer as payers

FUNDS = Decimal(1000)  # of each asset: enough to send any purchase back


def invoice_of(sandbox: Any, session_id: str) -> Any:
    """The sandbox's invoice for the purchase (its payload is the session id)."""
    found = [i for i in sandbox.api.invoices.values() if i.payload == session_id]
    if not found:
        raise Refused("no_invoice", f"purchase {session_id} has no Crypto Pay invoice")
    return found[-1]


async def pay(sandbox: Any, invoice: Any, amount: Decimal | None, webhook: WebhookMode
              ) -> list[Any]:
    """Pay `amount` of the invoice's asset (None: the price); the webhook deliveries."""
    asset = payers.choose_asset(invoice, None)
    full = payers.full_amount(invoice, asset)
    if amount is None or amount == full:
        return (await sandbox.pay(invoice.invoice_id, webhook=webhook)).deliveries
    if amount < full:
        result = await sandbox.underpay(invoice.invoice_id, paid_amount=amount, webhook=webhook)
        return result.deliveries
    # Paying more than asked: the sandbox has no action for it, so settle as its payer does.
    net = payers.settle(invoice, asset=asset, paid_amount=amount, now=sandbox.now())
    sandbox.api.ledger.credit(asset, net)
    deliveries: list[Any] = await sandbox.notifier.notify(invoice, webhook, True)
    return deliveries


def check_delivered(deliveries: list[Any]) -> None:
    """Starport must have answered each update 2xx (a 5xx makes Crypto Pay retry)."""
    for delivery in deliveries:
        if delivery.mode is not WebhookMode.DROP:
            assert delivery.delivered, f"the Crypto Pay webhook was not accepted: {delivery}"


def allow_transfers(sandbox: Any, allowed: bool) -> None:
    sandbox.enable_transfers(allowed)
    if allowed:
        for asset in catalog.CRYPTO_USD:
            sandbox.set_balance(asset, FUNDS)


def transfers(sandbox: Any) -> list[tuple[int, str]]:
    return [(t.user_id, f"{t.amount.normalize():f} {t.asset}") for t in sandbox.transfers]


def refunded(sandbox: Any, invoice_id: int) -> bool:
    """Whether Starport sent the invoice's payment back (by its refund's spend id)."""
    spend_id = refund_spend_id(str(invoice_id))
    return any(t.spend_id == spend_id for t in sandbox.transfers)
