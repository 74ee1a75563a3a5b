"""Telegram Stars as a PaymentProvider: invoices in the chat and as links, refunds,
subscriptions, the Star transaction list."""

from __future__ import annotations

from datetime import UTC, datetime

from starport.adapters.telegram.client import BotApiClient
from starport.adapters.telegram.errors import TelegramError
from starport.adapters.telegram.invoices import LabeledPrice
from starport.application.ports import (
    Invoice,
    InvoiceRequest,
    PaidTransaction,
    ProviderError,
    ProviderTraits,
    TransactionPage,
)
from starport.domain.money import Stars
from starport.domain.sessions import PaymentSession

PAGE = 100


class TelegramStarsProvider:
    """Capabilities: ChatInvoices, Refunds, Subscriptions, TransactionFeed."""

    name = "telegram_stars"
    traits = ProviderTraits(label="Telegram Stars", exact_amount=True)

    def __init__(self, client: BotApiClient) -> None:
        self._client = client

    async def create_invoice(self, session: PaymentSession, title: str, description: str
                             ) -> Invoice:
        assert isinstance(session.price, Stars)
        try:
            link = await self._client.create_invoice_link(
                title=title, description=description, payload=session.id,
                prices=[LabeledPrice(label=title, amount=session.price.amount)],
                subscription_period=session.subscription_period,
            )
        except TelegramError as exc:
            raise ProviderError(f"createInvoiceLink failed: {exc}") from exc
        return Invoice(invoice_id=None, url=link)

    def for_chat(self, request: InvoiceRequest) -> InvoiceRequest:
        return request  # Stars need no provider token

    async def refund(self, charge_id: str, payer_telegram_id: int) -> None:
        try:  # CHARGE_ALREADY_REFUNDED is answered as success by the client
            await self._client.refund_star_payment(payer_telegram_id, charge_id)
        except TelegramError as exc:
            raise ProviderError(f"refundStarPayment failed: {exc}") from exc

    async def cancel_subscription(self, telegram_user_id: int, charge_id: str) -> None:
        try:
            await self._client.edit_user_star_subscription(telegram_user_id, charge_id,
                                                           is_canceled=True)
        except TelegramError as exc:
            raise ProviderError(f"editUserStarSubscription failed: {exc}") from exc

    async def paid_transactions(self, cursor: str | None) -> TransactionPage:
        """Incoming Star payments; the cursor is how many transactions were read so far."""
        offset = int(cursor or 0)
        try:
            result = await self._client.get_star_transactions(offset=offset, limit=PAGE)
        except TelegramError as exc:
            raise ProviderError(f"getStarTransactions failed: {exc}") from exc
        raw = result.get("transactions", []) if isinstance(result, dict) else []
        # A refund is an outgoing transaction with the payment's id: never credit those.
        refunded = {str(t.get("id")) for t in raw if isinstance(t.get("receiver"), dict)}
        found = [tx for tx in (_incoming(t) for t in raw)
                 if tx is not None and tx.charge_id not in refunded]
        return TransactionPage(found, str(offset + len(raw)) if raw else None)

    # No InvoiceLookup (the transaction list covers it) and no InvoiceCancellation (an invoice
    # link cannot be withdrawn; pre-checkout refuses it instead).


def _incoming(tx: dict[str, object]) -> PaidTransaction | None:
    source = tx.get("source")
    if not isinstance(source, dict) or source.get("type") != "user":
        return None  # outgoing (a refund) or not from a user
    amount = tx.get("amount")
    if not isinstance(amount, int) or amount <= 0:
        return None
    payload = source.get("invoice_payload")
    user = source.get("user")
    date = tx.get("date")
    return PaidTransaction(
        charge_id=str(tx.get("id")),
        session_id=payload if isinstance(payload, str) and payload else None,
        paid=Stars(amount),
        paid_at=datetime.fromtimestamp(date if isinstance(date, int) else 0, UTC),
        payer_telegram_id=user.get("id") if isinstance(user, dict) else None,  # type: ignore[arg-type]
    )
