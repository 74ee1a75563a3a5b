"""Crypto Pay as a PaymentProvider: invoices paid by URL, polling for missed payments,
withdrawing expired invoices, refunds by transfer."""

from __future__ import annotations

from collections.abc import Sequence

from starport.adapters.cryptopay.client import CryptoPayClient
from starport.adapters.cryptopay.errors import (
    CryptoPayError,
    InsufficientFunds,
    InvoiceNotFound,
    MalformedUpdate,
    MethodDisabled,
)
from starport.adapters.cryptopay.invoice import Invoice as CryptoInvoice
from starport.adapters.cryptopay.paid import paid_price
from starport.application.ports import (
    Invoice,
    PaidTransaction,
    ProviderError,
    ProviderRefused,
    ProviderTraits,
)
from starport.domain.money import CryptoAmount, FiatAmount
from starport.domain.sessions import PaymentSession

MAX_EXPIRES_IN = 2_678_400
# Assets a fiat invoice may be paid with (Crypto Pay's own list when left out).
DEFAULT_ACCEPTED_ASSETS: tuple[str, ...] = ()
ENABLE_TRANSFERS = ("transfers are not enabled for this Crypto Pay app: enable them in "
                    "@CryptoBot (Crypto Pay > My Apps > the app > Security), then refund again")


def refund_spend_id(charge_id: str) -> str:
    """The transfer's idempotency key, the same for every attempt to refund this invoice."""
    return f"starport-refund-{charge_id}"


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
    """Capabilities: InvoiceLookup, InvoiceCancellation, Refunds (a transfer of what was paid
    back to the payer; a refund made outside Starport may be recorded instead). No
    subscriptions, no transaction list; a payment may exceed the price (a fiat invoice paid in
    crypto)."""

    name = "cryptopay"
    traits = ProviderTraits(label="Crypto Pay", exact_amount=False, refundable_outside=True)

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

    async def refund(self, charge_id: str, payer_telegram_id: int) -> None:
        """Transfer what the invoice was paid with (its paid asset and amount, also for a fiat
        invoice) back to the payer. Crypto Pay has no refund method and keeps its fee, so the
        app's balance covers the whole amount. One spend id per invoice: a retry, or a refund
        asked again, finds the earlier transfer instead of sending a second one."""
        spend_id = refund_spend_id(charge_id)
        try:
            if await self._client.get_transfers(spend_id=spend_id, count=1):
                return
            invoice = await self._paid_invoice(charge_id)
            asset = invoice.paid_asset or invoice.asset
            amount = invoice.paid_amount or invoice.amount
            if asset is None:
                raise ProviderError(f"invoice {charge_id} does not say which asset paid it")
            await self._client.transfer(
                user_id=payer_telegram_id, asset=asset, amount=amount, spend_id=spend_id,
                comment=f"Refund of invoice {charge_id}")
        except MethodDisabled as exc:
            raise ProviderRefused(ENABLE_TRANSFERS) from exc
        except InsufficientFunds as exc:
            raise ProviderRefused(
                f"the app's Crypto Pay balance holds less than the {amount} {asset} to send "
                "back (Crypto Pay kept its fee on the payment): top it up, then refund again"
            ) from exc
        except CryptoPayError as exc:
            if await self._sent_anyway(spend_id):  # the answer was lost, not the transfer
                return
            raise ProviderError(f"transfer failed: {exc}") from exc

    async def _sent_anyway(self, spend_id: str) -> bool:
        """Whether a transfer with this spend id went out although the call failed (its answer
        lost, or a repeat of the spend id refused): then the refund is made."""
        try:
            return bool(await self._client.get_transfers(spend_id=spend_id, count=1))
        except CryptoPayError:
            return False

    async def _paid_invoice(self, charge_id: str) -> CryptoInvoice:
        if not charge_id.isdigit():
            raise ProviderError(f"charge {charge_id} is not a Crypto Pay invoice id")
        found = await self._client.get_invoices(invoice_ids=[int(charge_id)], count=1)
        if not found or not found[0].is_paid:
            raise ProviderError(f"Crypto Pay has no paid invoice {charge_id}")
        return found[0]
