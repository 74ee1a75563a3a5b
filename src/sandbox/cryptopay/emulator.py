"""SandboxCryptoPay: the emulated Crypto Pay app, its payer, its webhooks and its faults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from starport.sandbox.cryptopay import payer
from starport.sandbox.cryptopay.api import CryptoPayApi
from starport.sandbox.cryptopay.errors import ApiError
from starport.sandbox.cryptopay.invoices import SandboxInvoice
from starport.sandbox.cryptopay.notifier import Notifier
from starport.sandbox.cryptopay.transfers import SandboxTransfer
from starport.sandbox.cryptopay.webhooks import Delivery, WebhookMode, WebhookPolicy

DEFAULT_TOKEN = "24680:AAsandboxCryptoPayToken0000000000"


@dataclass
class PayResult:
    invoice: SandboxInvoice
    deliveries: list[Delivery] = field(default_factory=list)


class SandboxCryptoPay:
    """One Crypto Pay app (one token) with in-memory invoices and balances.

    API calls go through `handle`; the payer side (`pay`, `underpay`, `expire`), webhook
    delivery and fault injection are Python methods, also exposed as `/_sandbox/...` routes.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        app_name: str = "Starport Sandbox",
        webhook_url: str | None = None,
        webhook_policy: WebhookPolicy | None = None,
        stale_age: timedelta = timedelta(days=1),
        clock: Callable[[], datetime] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token = token
        self.clock = clock or (lambda: datetime.now(UTC))
        app_id = token.split(":", 1)[0]
        self.api = CryptoPayApi(int(app_id) if app_id.isdigit() else 1, app_name, self.now)
        self.notifier = Notifier(
            token,
            self.now,
            url=webhook_url,
            policy=webhook_policy,
            stale_age=stale_age,
            transport=transport,
        )
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._faults: list[int] = []

    @property
    def deliveries(self) -> list[Delivery]:
        """Every update sent or dropped, in order; replays appear twice."""
        return self.notifier.deliveries

    def continue_after(self, *, invoice_id: int = 0, update_id: int = 0) -> None:
        """Number new invoices and updates after these (an app that remembers the ones it has
        handled, restarted with a fresh emulator, must not meet them again)."""
        self.api.continue_after(invoice_id)
        self.notifier.continue_after(update_id)

    @property
    def webhook_url(self) -> str | None:
        return self.notifier.url

    def now(self) -> datetime:
        return self.clock()

    def handle(
        self, token: str | None, method: str, params: Mapping[str, Any], public_url: str | None
    ) -> Any:
        """One API call: injected faults first, then the token, then the method."""
        self.calls.append((method, dict(params)))
        if self._faults:
            raise ApiError(self._faults.pop(0), "INTERNAL_ERROR")
        if token != self.token:
            raise ApiError(401, "UNAUTHORIZED")
        return self.api.call(method, params, public_url)

    def invoice(self, invoice_id: int) -> SandboxInvoice:
        return self.api.invoice(invoice_id)

    async def pay(
        self,
        invoice_id: int,
        *,
        paid_asset: str | None = None,
        comment: str | None = None,
        paid_anonymously: bool = False,
        webhook: WebhookMode = WebhookMode.DELIVER,
        wait: bool = True,
    ) -> PayResult:
        """Pay in full (for fiat invoices in `paid_asset` at the fixed rates) and notify."""
        invoice = self.invoice(invoice_id)
        asset = payer.choose_asset(invoice, paid_asset)
        amount = payer.full_amount(invoice, asset)
        return await self._settle(invoice, asset, amount, comment, paid_anonymously, webhook, wait)

    async def underpay(
        self,
        invoice_id: int,
        *,
        paid_amount: Decimal | None = None,
        fraction: Decimal | None = None,
        paid_asset: str | None = None,
        webhook: WebhookMode = WebhookMode.DELIVER,
        wait: bool = True,
    ) -> PayResult:
        """FAULT INJECTION: mark paid with less than the price (real Crypto Pay can't)."""
        invoice = self.invoice(invoice_id)
        asset = payer.choose_asset(invoice, paid_asset)
        full = payer.full_amount(invoice, asset)
        amount = payer.short_amount(full, asset, paid_amount, fraction)
        result = await self._settle(invoice, asset, amount, None, False, webhook, wait)
        invoice.underpaid = True
        return result

    def expire(self, invoice_id: int) -> SandboxInvoice:
        invoice = self.invoice(invoice_id)
        if invoice.status != "active":
            raise ApiError(400, f"INVOICE_{invoice.status.upper()}")
        invoice.status = "expired"
        return invoice

    async def redeliver(
        self, invoice_id: int, *, webhook: WebhookMode = WebhookMode.DELIVER, wait: bool = True
    ) -> list[Delivery]:
        """Send the `invoice_paid` update of a paid invoice again (after a drop, say)."""
        invoice = self.invoice(invoice_id)
        if invoice.status != "paid":
            raise ApiError(400, "INVOICE_NOT_PAID")
        return await self.notifier.notify(invoice, webhook, wait)

    def set_webhook(
        self, url: str | None, *, retries: int | None = None, backoff: float | None = None
    ) -> None:
        """Where updates go (real Crypto Pay takes this in @CryptoBot's app settings)."""
        self.notifier.configure(url, retries=retries, backoff=backoff)

    def fail_next(self, count: int, status: int = 500) -> None:
        """FAULT INJECTION: the next `count` API calls answer `status` (5xx: retryable)."""
        self._faults.extend([status] * count)

    def set_balance(self, asset: str, available: Decimal, onhold: Decimal = Decimal(0)) -> None:
        self.api.ledger.available[asset] = available
        self.api.ledger.onhold[asset] = onhold

    def enable_transfers(self, enabled: bool = True) -> None:
        """The app's "transfers" setting in @CryptoBot (off for a new app, as on Crypto Pay)."""
        self.api.transfers.enabled = enabled

    @property
    def transfers(self) -> list[SandboxTransfer]:
        """Every transfer the app made, oldest first."""
        return sorted(self.api.transfers.made.values(), key=lambda t: t.transfer_id)

    def reset(self) -> None:
        """Forget invoices, balances, transfers, deliveries, calls and pending faults; keep the
        config (the webhook, whether transfers are enabled)."""
        enabled = self.api.transfers.enabled
        self.api = CryptoPayApi(self.api.app_id, self.api.app_name, self.now)
        self.enable_transfers(enabled)
        self.notifier.deliveries.clear()
        self.calls.clear()
        self._faults.clear()

    async def drain(self) -> None:
        """Wait for deliveries started with `wait=False`."""
        await self.notifier.drain()

    async def _settle(
        self,
        invoice: SandboxInvoice,
        asset: str,
        amount: Decimal,
        comment: str | None,
        anonymous: bool,
        webhook: WebhookMode,
        wait: bool,
    ) -> PayResult:
        net = payer.settle(
            invoice,
            asset=asset,
            paid_amount=amount,
            now=self.now(),
            comment=comment,
            paid_anonymously=anonymous,
        )
        self.api.ledger.credit(asset, net)
        return PayResult(invoice, await self.notifier.notify(invoice, webhook, wait))
