"""Telegram Payments as a PaymentProvider (`telegram_payments`): cards through a payment
provider's token (Stripe, YooKassa, Smart Glocal, ...), in a real currency. The same invoice,
pre-checkout and successful_payment flow as Stars, with the amount in the currency's smallest
units. The Bot API cannot refund these (the operator refunds in the provider's dashboard) nor
list them, so it has no Refunds, Subscriptions or TransactionFeed capability."""

from __future__ import annotations

from dataclasses import replace

from starport.adapters.telegram.client import BotApiClient
from starport.adapters.telegram.errors import InvalidInvoice, TelegramError
from starport.adapters.telegram.invoices import LabeledPrice
from starport.application.ports import Invoice, InvoiceRequest, ProviderError, ProviderTraits
from starport.domain.errors import DomainError
from starport.domain.money import minor_units
from starport.domain.sessions import PaymentSession


class TelegramPaymentsProvider:
    """Capabilities: ChatInvoices."""

    name = "telegram_payments"
    traits = ProviderTraits(
        label="card", exact_amount=True,
        refund_elsewhere="refund it in your payment provider's dashboard (Stripe, YooKassa...)")

    def __init__(self, client: BotApiClient, provider_token: str) -> None:
        self._client = client
        self._token = provider_token

    def __repr__(self) -> str:
        return "TelegramPaymentsProvider(provider_token=<secret>)"

    def for_chat(self, request: InvoiceRequest) -> InvoiceRequest:
        return replace(request, provider_token=self._token)

    async def create_invoice(self, session: PaymentSession, title: str, description: str
                             ) -> Invoice:
        """An invoice link, for a Mini App (`Telegram.WebApp.openInvoice`)."""
        try:
            amount = minor_units(session.price)
            link = await self._client.create_invoice_link(
                title=title, description=description, payload=session.id,
                prices=[LabeledPrice(label=title, amount=amount)],
                currency=session.price.currency, provider_token=self._token,
            )
        except (TelegramError, InvalidInvoice, DomainError) as exc:
            raise ProviderError(f"createInvoiceLink failed: {exc}") from exc
        return Invoice(invoice_id=None, url=link)
