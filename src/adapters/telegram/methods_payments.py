"""Bot API payment methods: invoices (Stars and cards), pre-checkout, Star refunds and
subscriptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog

from starport.adapters.telegram.calls import Calls
from starport.adapters.telegram.errors import TelegramBadRequest
from starport.adapters.telegram.fiat_invoices import fiat_invoice
from starport.adapters.telegram.invoices import STARS, PriceLike, stars_invoice

Json = dict[str, Any]
_log = structlog.get_logger(__name__)


class PaymentMethods(Calls):
    async def send_invoice(
        self,
        chat_id: int | str,
        title: str,
        description: str,
        payload: str,
        prices: Sequence[PriceLike],
        *,
        currency: str = STARS,
        provider_token: str | None = "",
        photo_url: str | None = None,
        start_parameter: str | None = None,
        reply_markup: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> Json:
        """Send an invoice message (Stars, or a currency with `provider_token`);
        InvalidInvoice (nothing sent) if it breaks a rule."""
        params = (stars_invoice if currency == STARS else fiat_invoice)(
            title=title,
            description=description,
            payload=payload,
            prices=prices,
            currency=currency,
            provider_token=provider_token,
            photo_url=photo_url,
            start_parameter=start_parameter,
            reply_markup=reply_markup,
            **extra,
        )
        result: Json = await self.call("sendInvoice", chat_id=chat_id, **params)
        return result

    async def create_invoice_link(
        self,
        title: str,
        description: str,
        payload: str,
        prices: Sequence[PriceLike],
        subscription_period: int | None = None,
        *,
        currency: str = STARS,
        provider_token: str | None = "",
        photo_url: str | None = None,
        **extra: Any,
    ) -> str:
        """An invoice link (Stars, or a currency with `provider_token`); a Stars link with
        `subscription_period` (2592000) bills every 30 days."""
        params = (stars_invoice if currency == STARS else fiat_invoice)(
            title=title,
            description=description,
            payload=payload,
            prices=prices,
            currency=currency,
            provider_token=provider_token,
            subscription_period=subscription_period,
            for_link=True,
            photo_url=photo_url,
            **extra,
        )
        return str(await self.call("createInvoiceLink", **params))

    async def answer_pre_checkout_query(
        self, pre_checkout_query_id: str, ok: bool, error_message: str | None = None
    ) -> bool:
        if not ok and not error_message:
            raise ValueError("a rejected pre-checkout query needs an error_message for the user")
        return bool(
            await self.call(
                "answerPreCheckoutQuery",
                pre_checkout_query_id=pre_checkout_query_id,
                ok=ok,
                error_message=error_message,
            )
        )

    async def refund_star_payment(self, user_id: int, telegram_payment_charge_id: str) -> bool:
        """Refund a Stars payment; one refunded already counts as success."""
        try:
            return bool(
                await self.call(
                    "refundStarPayment",
                    user_id=user_id,
                    telegram_payment_charge_id=telegram_payment_charge_id,
                )
            )
        except TelegramBadRequest as exc:
            if "CHARGE_ALREADY_REFUNDED" not in exc.description:
                raise
            _log.info("telegram.refund_already_done", charge_id=telegram_payment_charge_id)
            return True

    async def get_star_transactions(
        self, offset: int | None = None, limit: int | None = None
    ) -> Json:
        result: Json = await self.call("getStarTransactions", offset=offset, limit=limit)
        return result

    async def edit_user_star_subscription(
        self, user_id: int, telegram_payment_charge_id: str, is_canceled: bool
    ) -> bool:
        return bool(
            await self.call(
                "editUserStarSubscription",
                user_id=user_id,
                telegram_payment_charge_id=telegram_payment_charge_id,
                is_canceled=is_canceled,
            )
        )
