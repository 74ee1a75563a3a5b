"""Outbox items queued before effects named their provider still decode (they sat in the
table across the upgrade): a Stars invoice, a Star subscription's cancellation."""

from __future__ import annotations

from starport.adapters.sql.mappers import effect_from, effect_values
from starport.application.effects import CancelSubscription, SendInvoice
from starport.domain.providers import Provider


def test_an_invoice_queued_as_stars_is_a_stars_invoice() -> None:
    effect = effect_from("invoice", {"title": "Starter", "description": "100 credits",
                                     "payload": "s1", "stars": 50})

    assert effect == SendInvoice(Provider.TELEGRAM_STARS, "Starter", "100 credits", "s1", "XTR",
                                 50)


def test_a_cancellation_queued_without_its_provider_is_a_star_subscriptions() -> None:
    effect = effect_from("cancel_subscription", {"telegram_user_id": 7, "charge_id": "stx"})

    assert effect == CancelSubscription(Provider.TELEGRAM_STARS, "stx", 7)


def test_a_card_invoice_keeps_its_currency_and_never_its_token() -> None:
    invoice = SendInvoice(Provider.TELEGRAM_PAYMENTS, "Starter", "x", "s1", "JPY", 500)

    kind, payload = effect_values(invoice)

    assert effect_from(kind, payload) == invoice
    assert "provider_token" not in payload
