"""PaymentActions: users pay invoices (pre-checkout, then successful_payment; Stars or by card),
renew Star subscriptions, get Stars refunded."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from starport.sandbox.telegram.actions import ActorBase
from starport.sandbox.telegram.cards import card_number, charge_card
from starport.sandbox.telegram.delivery import Delivery
from starport.sandbox.telegram.errors import SandboxError
from starport.sandbox.telegram.models import Charge, Invoice, User
from starport.sandbox.telegram.payments import (
    find_subscription,
    refund,
    successful_payment,
    take_payment,
)
from starport.sandbox.telegram.world import Checkout


@dataclass
class PaymentOutcome:
    """How a payment attempt ended: paid, refused (with the bot's error_message), no_answer
    (the bot did not answer the pre-checkout query in time), undelivered, canceled, or declined
    (the provider refused the card after the bot had approved the pre-checkout query)."""

    status: str
    invoice_payload: str
    amount: int
    error_message: str | None = None
    telegram_payment_charge_id: str | None = None
    subscription_expiration_date: int | None = None
    currency: str = "XTR"
    provider_payment_charge_id: str | None = None  # as sent in successful_payment ("" for Stars)
    pre_checkout: dict[str, Any] | None = None  # the pre_checkout_query update's Delivery
    payment: dict[str, Any] | None = None  # the successful_payment update's Delivery

    @property
    def ok(self) -> bool:
        return self.status == "paid"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def invoice_slug(link: str) -> str:
    """`https://t.me/$abc`, `t.me/$abc`, `$abc` or `abc` -> `abc`."""
    return link.rsplit("$", 1)[-1].rsplit("/", 1)[-1]


class PaymentActions(ActorBase):
    def find_invoice(
        self, user: User, invoice_link: str | None = None, message_id: int | None = None
    ) -> Invoice:
        """The invoice link given, else the invoice message given, else the last unpaid one."""
        if invoice_link is not None:
            invoice = self.bot.invoices.get(invoice_slug(invoice_link))
            if invoice is None or invoice.chat_id is not None:
                raise SandboxError("no such invoice link", 404)
            return invoice
        sent = [i for i in self.bot.invoices.values() if i.chat_id == user.id]
        if message_id is not None:
            sent = [i for i in sent if i.message_id == message_id]
            if sent and sent[0].paid_by:
                raise SandboxError("this invoice was already paid", 409)
        unpaid = [i for i in sent if not i.paid_by]
        if not unpaid:
            raise SandboxError(f"no unpaid invoice was sent to user {user.id}", 404)
        return unpaid[-1]

    async def pay_invoice(
        self,
        user_id: int,
        *,
        invoice_link: str | None = None,
        message_id: int | None = None,
        timeout: float | None = None,
        duplicate: bool = False,
        card: str | None = None,
    ) -> PaymentOutcome:
        """Pay as Telegram does: pre_checkout_query, wait (10 s) for answerPreCheckoutQuery,
        and only if ok=true take the Stars, or charge the `card` (a good test card by default;
        4000 0000 0000 0002 is declined), and send the successful_payment message."""
        user = self.user(user_id)
        invoice = self.find_invoice(user, invoice_link, message_id)
        card = card_number(card, invoice)
        if invoice.subscription_period:
            sub = self.bot.subscriptions.get((user.id, invoice.slug))
            if sub is not None and sub.expires_at > self.sandbox.now():
                raise SandboxError("the user already has this subscription", 409)
        outcome = PaymentOutcome(
            "no_answer", invoice.payload, invoice.amount, currency=invoice.currency
        )
        answer = await self._pre_checkout(user, invoice, outcome, timeout, duplicate)
        if answer is None:
            return outcome
        ok, error_message = answer
        if not ok:
            outcome.status, outcome.error_message = "refused", error_message
            return outcome
        ctx = self.ctx()
        if card is None:
            paid: Charge | None = take_payment(ctx, user, invoice)
        else:
            paid = charge_card(ctx, user, invoice, card)  # after the pre-checkout, as on Telegram
        if paid is None:
            outcome.status, outcome.error_message = "declined", "the card was declined"
            return outcome
        self.bot.started.add(user.id)
        delivery = await self._payment_message(user, paid, first=True, duplicate=duplicate)
        return self._paid(outcome, paid, delivery)

    async def _pre_checkout(
        self,
        user: User,
        invoice: Invoice,
        outcome: PaymentOutcome,
        timeout: float | None,
        duplicate: bool,
    ) -> tuple[bool, str | None] | None:
        query_id = str(secrets.randbits(62))
        answer: asyncio.Future[tuple[bool, str | None]] = asyncio.get_running_loop().create_future()
        checkout = Checkout(query_id, user, invoice, answer)
        self.bot.checkouts[query_id] = checkout
        query = {
            "id": query_id,
            "from": user.to_json(),
            "currency": invoice.currency,
            "total_amount": invoice.amount,
            "invoice_payload": invoice.payload,
        }
        delivery = await self.bot.hub.publish("pre_checkout_query", query, duplicate=duplicate)
        outcome.pre_checkout = delivery.to_json()
        if delivery.status in ("failed", "filtered"):
            checkout.expired = True
            outcome.status = "undelivered"
            return None
        wait = self.sandbox.pre_checkout_timeout if timeout is None else timeout
        try:
            return await asyncio.wait_for(asyncio.shield(answer), wait)
        except TimeoutError:
            checkout.expired = True  # a late answer gets "query is too old", as on Telegram
            return None

    async def _payment_message(
        self, user: User, paid: Charge, *, first: bool, duplicate: bool = False
    ) -> Delivery:
        content = {"successful_payment": successful_payment(paid, first=first)}
        message = self.user_message(user, content)
        return await self.bot.hub.publish("message", message, duplicate=duplicate)

    @staticmethod
    def _paid(outcome: PaymentOutcome, paid: Charge, delivery: Delivery) -> PaymentOutcome:
        outcome.status = "paid"
        outcome.telegram_payment_charge_id = paid.charge_id
        outcome.provider_payment_charge_id = paid.provider_payment_charge_id
        outcome.subscription_expiration_date = paid.subscription_expiration_date
        outcome.payment = delivery.to_json()
        return outcome

    async def renew_subscription(
        self, user_id: int, telegram_payment_charge_id: str, *, duplicate: bool = False
    ) -> PaymentOutcome:
        """The next period of a subscription is charged (no pre-checkout, as on Telegram)."""
        user = self.user(user_id)
        sub = find_subscription(self.ctx(), user.id, telegram_payment_charge_id)
        if sub is None:
            raise SandboxError("no subscription with this charge for this user", 404)
        invoice = self.bot.invoices[sub.invoice_slug]
        outcome = PaymentOutcome("canceled", invoice.payload, invoice.amount)
        if sub.is_canceled:
            outcome.error_message = "the subscription was canceled"
            return outcome
        paid = take_payment(self.ctx(), user, invoice, sub)
        delivery = await self._payment_message(user, paid, first=False, duplicate=duplicate)
        return self._paid(outcome, paid, delivery)

    async def request_refund(
        self, user_id: int, telegram_payment_charge_id: str, *, wait: bool = True
    ) -> Delivery:
        """Telegram refunds the user's Stars (e.g. after a dispute): a refunded_payment message.
        A payment by card is not found here: its refunds are the provider's business."""
        user = self.user(user_id)
        paid = self.bot.charges.get(telegram_payment_charge_id)
        if paid is None or paid.user.id != user.id:
            raise SandboxError("CHARGE_NOT_FOUND", 404)
        if paid.refunded_at is not None:
            raise SandboxError("CHARGE_ALREADY_REFUNDED", 409)
        refund(self.ctx(), paid)
        refunded = {
            "currency": "XTR",
            "total_amount": paid.amount,
            "invoice_payload": paid.payload,
            "telegram_payment_charge_id": paid.charge_id,
        }
        message = self.user_message(user, {"refunded_payment": refunded})
        return await self.bot.hub.publish("message", message, wait=wait)
