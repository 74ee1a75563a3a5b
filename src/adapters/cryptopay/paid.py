"""What a Crypto Pay invoice says was paid, as a domain price (shared by webhook and polling)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from starport.adapters.cryptopay.enums import CurrencyType
from starport.adapters.cryptopay.errors import MalformedUpdate
from starport.adapters.cryptopay.invoice import Invoice
from starport.domain.money import CryptoAmount, FiatAmount, Price

CENT = Decimal("0.01")


def paid_price(invoice: Invoice) -> Price:
    """What was paid, in the invoice's own currency: the paid asset amount for a crypto invoice;
    for a fiat one the paid amount at Crypto Pay's rate, to the cent (or the invoice amount when
    Crypto Pay gives no rate)."""
    if invoice.currency_type is CurrencyType.FIAT:
        if invoice.fiat is None:
            raise MalformedUpdate("UPDATE_MALFORMED:fiat")
        amount = invoice.amount
        if invoice.paid_amount is not None and invoice.paid_fiat_rate is not None:
            amount = (invoice.paid_amount * invoice.paid_fiat_rate).quantize(CENT, ROUND_HALF_UP)
        return FiatAmount(amount, invoice.fiat)
    asset = invoice.paid_asset or invoice.asset
    if asset is None:
        raise MalformedUpdate("UPDATE_MALFORMED:asset")
    paid = invoice.paid_amount if invoice.paid_amount is not None else invoice.amount
    return CryptoAmount(paid, asset)
