"""Crypto Pay as a PaymentProvider: invoices paid by URL, polling for missed payments,
withdrawing expired invoices."""

from __future__ import annotations

from collections.abc import Sequence

from starport.adapters.cryptopay.client import CryptoPayClient
from starport.adapters.cryptopay.errors import CryptoPayError, InvoiceNotFound, MalformedUpdate
from starport.adapters.cryptopay.invoice import Invoice as CryptoInvoice
from starport.adapters.cryptopay.paid import paid_price
from starport.application.ports import Invoice, PaidTransaction, ProviderError, ProviderTraits
from starport.domain.money import CryptoAmount, FiatAmount
from starport.domain.sessions import PaymentSession

MAX_EXPIRES_IN = 2_678_400
# Assets a fiat invoice may be paid with (Crypto Pay's own list when left out).
DEFAULT_ACCEPTED_ASSETS: tuple[str, ...] = ()


def paid_transaction(invoice: CryptoInvoice) -> PaidTransaction | None:
    if not invoice.is_paid or invoice.paid_at is None:
        return None
    try:
        paid = paid_price(invoice)
    except MalformedUpdate as exc:
        raise ProviderError(f"invoice {invoice.invoice_id} is malformed: {exc}") from exc
    return PaidTransaction(charge_id=str(invoice.invoice_id), session_id=invoice.payload,
                           paid=paid, paid_at=invoice.paid_at)


class CryptoPayProvider:
    """Capabilities: InvoiceLookup, InvoiceCancellation. No refunds (Crypto Pay has no such
    method), no subscriptions, no transaction list; a payment may exceed the price (a fiat
    invoice paid in crypto)."""

    name = "cryptopay"
    traits = ProviderTraits(
        label="Crypto Pay", exact_amount=False,
        refund_elsewhere="send the funds back with a transfer from the app's Crypto Pay wallet")

    def __init__(self, client: CryptoPayClient, bot_username: str | None = None,
                 accepted_assets: Sequence[str] = DEFAULT_ACCEPTED_ASSETS) -> None:
        self._client = client
        self._bot_username = bot_username
        self._accepted_assets = tuple(accepted_assets)

    async def create_invoice(self, session: PaymentSession, title: str, description: str
                             ) -> Invoice:
        price = session.price
        ttl = int((session.expires_at - session.created_at).total_seconds())
        params: dict[str, object] = {}
        if isinstance(price, CryptoAmount):
            params["asset"] = price.asset
        elif isinstance(price, FiatAmount):
            params["fiat"] = price.code
            if self._accepted_assets:
                params["accepted_assets"] = self._accepted_assets
        else:
            raise ProviderError("Crypto Pay takes crypto or fiat prices, not Stars")
        if self._bot_username:
            params["paid_btn_name"] = "callback"
            params["paid_btn_url"] = f"https://t.me/{self._bot_username}"
        try:
            invoice = await self._client.create_invoice(
                amount=price.amount, payload=session.id,
                description=f"{title}: {description}"[:1024],
                expires_in=max(1, min(ttl, MAX_EXPIRES_IN)), **params,  # type: ignore[arg-type]
            )
        except CryptoPayError as exc:
            raise ProviderError(f"createInvoice failed: {exc}") from exc
        return Invoice(invoice_id=str(invoice.invoice_id), url=invoice.bot_invoice_url,
                       mini_app_url=invoice.mini_app_invoice_url or None,
                       web_url=invoice.web_app_invoice_url or None)

    async def find_payments(self, sessions: Sequence[PaymentSession]
                            ) -> Sequence[PaidTransaction]:
        ids = [int(s.invoice_id) for s in sessions if s.invoice_id and s.invoice_id.isdigit()]
        found: list[PaidTransaction] = []
        try:
            for start in range(0, len(ids), 1000):
                batch = ids[start:start + 1000]
                async for invoice in self._client.iter_invoices(invoice_ids=batch,
                                                                status="paid"):
                    tx = paid_transaction(invoice)
                    if tx is not None:
                        found.append(tx)
        except CryptoPayError as exc:
            raise ProviderError(f"getInvoices failed: {exc}") from exc
        return found

    async def cancel_invoice(self, session: PaymentSession) -> None:
        if not session.invoice_id or not session.invoice_id.isdigit():
            return
        try:
            await self._client.delete_invoice(int(session.invoice_id))
        except InvoiceNotFound:
            return
        except CryptoPayError as exc:
            raise ProviderError(f"deleteInvoice failed: {exc}") from exc
