"""Fake payment providers that keep their own books, like the real ones, in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from starport.application.ports import (
    Invoice,
    InvoiceRequest,
    PaidTransaction,
    ProviderError,
    ProviderRefused,
    ProviderTraits,
    TransactionPage,
)
from starport.domain.money import CryptoAmount, FiatAmount, Price
from starport.domain.sessions import PaymentSession

STARS = ProviderTraits(label="Telegram Stars", exact_amount=True)
CRYPTO_PAY = ProviderTraits(label="Crypto Pay", exact_amount=False, refundable_outside=True)
CARDS = ProviderTraits(label="card", exact_amount=True,
                       refund_elsewhere="refund it in your payment provider's dashboard")


@dataclass
class FakeStarsProvider:
    """Telegram Stars as seen by Starport: invoice links, refunds, a transaction list."""

    name: str = "telegram_stars"
    traits: ProviderTraits = STARS
    transactions: list[PaidTransaction] = field(default_factory=list)
    refunded: list[str] = field(default_factory=list)
    cancelled_subscriptions: list[tuple[int, str]] = field(default_factory=list)
    fail_invoices: bool = False
    page_size: int = 100

    async def create_invoice(self, session: PaymentSession, title: str, description: str
                             ) -> Invoice:
        if self.fail_invoices:
            raise ProviderError("createInvoiceLink failed")
        return Invoice(invoice_id=None, url=f"https://t.me/$fake_{session.id}")

    def for_chat(self, request: InvoiceRequest) -> InvoiceRequest:
        return request

    async def cancel_subscription(self, telegram_user_id: int, charge_id: str) -> None:
        self.cancelled_subscriptions.append((telegram_user_id, charge_id))

    async def refund(self, charge_id: str, payer_telegram_id: int) -> None:
        if charge_id not in self.refunded:  # a second refund is a success, as on Telegram
            self.refunded.append(charge_id)

    def record_payment(self, tx: PaidTransaction) -> None:
        """What Telegram would list in getStarTransactions after a user paid."""
        self.transactions.append(tx)

    async def paid_transactions(self, cursor: str | None) -> TransactionPage:
        start = int(cursor or 0)
        page = self.transactions[start:start + self.page_size]
        return TransactionPage(page, str(start + len(page)) if page else None)


@dataclass
class FakeCryptoInvoice:
    invoice_id: str
    session_id: str
    price: Price
    status: str = "active"
    paid: Price | None = None
    paid_at: datetime | None = None


@dataclass
class FakeCryptoPayProvider:
    """Crypto Pay's invoices, in memory: pay them, underpay them, lose their webhook; refunds
    are transfers of what was paid, one per invoice, once the app has transfers enabled."""

    name: str = "cryptopay"
    traits: ProviderTraits = CRYPTO_PAY
    invoices: dict[str, FakeCryptoInvoice] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    transfers_enabled: bool = True
    transfers: dict[str, tuple[int, Price]] = field(default_factory=dict)  # invoice: to, what

    async def create_invoice(self, session: PaymentSession, title: str, description: str
                             ) -> Invoice:
        invoice_id = str(1000 + len(self.invoices))
        self.invoices[invoice_id] = FakeCryptoInvoice(invoice_id, session.id, session.price)
        return Invoice(invoice_id, url=f"https://t.me/CryptoBot?start=IV{invoice_id}",
                       mini_app_url=f"https://t.me/CryptoBot/app?startapp=invoice-IV{invoice_id}")

    def pay(self, invoice_id: str, now: datetime, amount: Decimal | None = None) -> PaidTransaction:
        invoice = self.invoices[invoice_id]
        price = invoice.price
        assert isinstance(price, CryptoAmount | FiatAmount)
        paid: Price = (replace_amount(price, amount) if amount is not None else price)
        invoice.status, invoice.paid, invoice.paid_at = "paid", paid, now
        return PaidTransaction(charge_id=invoice_id, session_id=invoice.session_id, paid=paid,
                               paid_at=now)

    async def find_payments(self, sessions: Sequence[PaymentSession]
                            ) -> Sequence[PaidTransaction]:
        wanted = {s.invoice_id for s in sessions}
        return [
            PaidTransaction(i.invoice_id, i.session_id, i.paid, i.paid_at)
            for i in self.invoices.values()
            if i.invoice_id in wanted and i.status == "paid" and i.paid and i.paid_at
        ]

    async def refund(self, charge_id: str, payer_telegram_id: int) -> None:
        if not self.transfers_enabled:
            raise ProviderRefused("transfers are not enabled for this Crypto Pay app")
        invoice = self.invoices[charge_id]
        if charge_id not in self.transfers and invoice.paid is not None:  # one per spend id
            self.transfers[charge_id] = (payer_telegram_id, invoice.paid)

    async def cancel_invoice(self, session: PaymentSession) -> None:
        invoice = self.invoices.get(session.invoice_id or "")
        if invoice is not None and invoice.status == "active":  # a paid one stays paid
            invoice.status = "expired"
            self.deleted.append(session.invoice_id)


def replace_amount(price: CryptoAmount | FiatAmount, amount: Decimal) -> Price:
    if isinstance(price, CryptoAmount):
        return CryptoAmount(amount, price.asset)
    return FiatAmount(amount, price.code)





@dataclass
class FakeCardProvider:
    """Telegram Payments (cards through a provider token) as seen by Starport: invoices in the
    chat with its token, invoice links for Mini Apps; nothing else the Bot API offers."""

    name: str = "telegram_payments"
    traits: ProviderTraits = CARDS
    provider_token: str = field(default="284685063:TEST:fake", repr=False)
    links: list[str] = field(default_factory=list)

    def for_chat(self, request: InvoiceRequest) -> InvoiceRequest:
        return replace(request, provider_token=self.provider_token)

    async def create_invoice(self, session: PaymentSession, title: str, description: str
                             ) -> Invoice:
        link = f"https://t.me/$card_{session.id}"
        self.links.append(link)
        return Invoice(invoice_id=None, url=link)
