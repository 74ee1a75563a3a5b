"""Async Crypto Pay API client: one pooled httpx client, typed errors, bounded retries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from starport.adapters.cryptopay.enums import InvoiceStatus, PaidButtonName
from starport.adapters.cryptopay.errors import CryptoPayError, InvalidResponse
from starport.adapters.cryptopay.invoice import Invoice
from starport.adapters.cryptopay.models import App, Balance, Currency, ExchangeRate
from starport.adapters.cryptopay.params import (
    Params,
    create_invoice_params,
    get_invoices_params,
    get_transfers_params,
    transfer_params,
)
from starport.adapters.cryptopay.transfer import Transfer
from starport.adapters.cryptopay.transport import TOKEN_HEADER, Transport

MAINNET_URL = "https://pay.crypt.bot/api"
TESTNET_URL = "https://testnet-pay.crypt.bot/api"
__all__ = ["MAINNET_URL", "TESTNET_URL", "TOKEN_HEADER", "CryptoPayClient"]

T = TypeVar("T")


class CryptoPayClient:
    """Crypto Pay methods as typed coroutines; 5xx and network errors are retried, capped."""

    def __init__(
        self,
        base_url: str,
        token: str,
        http: httpx.AsyncClient | None = None,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 5.0,
        timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if retries < 0 or backoff < 0 or max_backoff < 0:
            raise ValueError("retries and backoff must not be negative")
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0))
        self._transport = Transport(
            base_url,
            token,
            self._http,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"CryptoPayClient(base_url={self._transport.base_url!r})"

    async def __aenter__(self) -> CryptoPayClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled HTTP client, unless it was lent to us."""
        if self._owns_http:
            await self._http.aclose()

    async def get_me(self) -> App:
        return self._parse("getMe", App.from_json, await self._transport.call("getMe"))

    async def create_invoice(
        self,
        *,
        amount: Decimal,
        asset: str | None = None,
        fiat: str | None = None,
        accepted_assets: Sequence[str] | None = None,
        description: str | None = None,
        hidden_message: str | None = None,
        payload: str | None = None,
        paid_btn_name: PaidButtonName | str | None = None,
        paid_btn_url: str | None = None,
        allow_comments: bool | None = None,
        allow_anonymous: bool | None = None,
        expires_in: int | None = None,
    ) -> Invoice:
        """A crypto invoice (give `asset`) or a fiat one (give `fiat`, maybe `accepted_assets`).

        Retried like every call: a retry after a lost response may leave an orphan active
        invoice behind, which is harmless (nobody sees its URL; it expires) as long as
        reconciliation matches invoices by `payload` (the session id), not only by id.
        """
        params = create_invoice_params(
            amount=amount,
            asset=asset,
            fiat=fiat,
            accepted_assets=accepted_assets,
            description=description,
            hidden_message=hidden_message,
            payload=payload,
            paid_btn_name=paid_btn_name,
            paid_btn_url=paid_btn_url,
            allow_comments=allow_comments,
            allow_anonymous=allow_anonymous,
            expires_in=expires_in,
        )
        result = await self._transport.call("createInvoice", params)
        return self._parse("createInvoice", Invoice.from_json, result)

    async def get_invoices(
        self,
        *,
        invoice_ids: Sequence[int] | None = None,
        status: InvoiceStatus | str | None = None,
        asset: str | None = None,
        fiat: str | None = None,
        offset: int = 0,
        count: int = 100,
    ) -> list[Invoice]:
        params = get_invoices_params(
            invoice_ids=invoice_ids,
            status=status,
            asset=asset,
            fiat=fiat,
            offset=offset,
            count=count,
        )
        return await self._parse_items("getInvoices", params, Invoice.from_json)

    async def iter_invoices(
        self,
        *,
        invoice_ids: Sequence[int] | None = None,
        status: InvoiceStatus | str | None = None,
        asset: str | None = None,
        fiat: str | None = None,
        page_size: int = 1000,
    ) -> AsyncIterator[Invoice]:
        """Every matching invoice, page by page; ids seen on an earlier page are skipped."""
        seen: set[int] = set()
        offset = 0
        while True:
            page = await self.get_invoices(
                invoice_ids=invoice_ids,
                status=status,
                asset=asset,
                fiat=fiat,
                offset=offset,
                count=page_size,
            )
            for invoice in page:
                if invoice.invoice_id not in seen:
                    seen.add(invoice.invoice_id)
                    yield invoice
            if len(page) < page_size:
                return
            offset += len(page)

    async def delete_invoice(self, invoice_id: int) -> bool:
        result = await self._transport.call("deleteInvoice", {"invoice_id": int(invoice_id)})
        if not isinstance(result, bool):
            raise InvalidResponse("BOOLEAN_EXPECTED", method="deleteInvoice")
        return result

    async def transfer(
        self,
        *,
        user_id: int,
        asset: str,
        amount: Decimal,
        spend_id: str,
        comment: str | None = None,
        disable_send_notification: bool | None = None,
    ) -> Transfer:
        """Send coins from the app's balance to a Telegram user (who has used @CryptoBot).

        Retried like every call, which is safe only because `spend_id` is required: Crypto Pay
        accepts one spend id once per app, so a retry after a lost answer sends nothing twice.
        Fails with MethodDisabled until transfers are enabled in the app's settings.
        """
        params = transfer_params(
            user_id=user_id,
            asset=asset,
            amount=amount,
            spend_id=spend_id,
            comment=comment,
            disable_send_notification=disable_send_notification,
        )
        result = await self._transport.call("transfer", params)
        return self._parse("transfer", Transfer.from_json, result)

    async def get_transfers(
        self,
        *,
        asset: str | None = None,
        transfer_ids: Sequence[int] | None = None,
        spend_id: str | None = None,
        offset: int = 0,
        count: int = 100,
    ) -> list[Transfer]:
        params = get_transfers_params(
            asset=asset, transfer_ids=transfer_ids, spend_id=spend_id, offset=offset, count=count
        )
        return await self._parse_items("getTransfers", params, Transfer.from_json)

    async def get_currencies(self) -> list[Currency]:
        return await self._parse_list("getCurrencies", Currency.from_json)

    async def get_exchange_rates(self) -> list[ExchangeRate]:
        return await self._parse_list("getExchangeRates", ExchangeRate.from_json)

    async def get_balance(self) -> list[Balance]:
        return await self._parse_list("getBalance", Balance.from_json)

    async def _parse_items(self, method: str, params: Params,
                           factory: Callable[[Any], T]) -> list[T]:
        """A page of a list method: `{"items": [...]}`."""
        result = await self._transport.call(method, params)
        items = result.get("items") if isinstance(result, Mapping) else None
        if not isinstance(items, list):
            raise InvalidResponse("ITEMS_MISSING", method=method)
        return [self._parse(method, factory, item) for item in items]

    async def _parse_list(self, method: str, factory: Callable[[Any], T]) -> list[T]:
        result = await self._transport.call(method)
        if not isinstance(result, list):
            raise InvalidResponse("LIST_EXPECTED", method=method)
        return [self._parse(method, factory, item) for item in result]

    @staticmethod
    def _parse(method: str, factory: Callable[[Any], T], data: Any) -> T:
        if not isinstance(data, Mapping):
            raise InvalidResponse("OBJECT_EXPECTED", method=method)
        try:
            return factory(data)
        except (KeyError, TypeError, ValueError, CryptoPayError) as exc:
            raise InvalidResponse(f"MALFORMED_{type(exc).__name__}", method=method) from None
