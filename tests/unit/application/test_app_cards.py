"""Telegram Payments (cards through a provider token) through the same use cases as Stars:
the provider is asked for its capabilities and traits, never named."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.conftest import World, build_world

from starport.adapters.memory.providers import FakeCardProvider
from starport.application import commands as c
from starport.application.chat import buy_data
from starport.domain.catalog import Catalog, CreditPackage
from starport.domain.charges import ChargeStatus
from starport.domain.errors import RefundNotSupported
from starport.domain.money import FiatAmount, Stars
from starport.domain.providers import Provider
from starport.domain.sessions import SessionStatus

CARD = Provider.TELEGRAM_PAYMENTS
TOKEN = "284685063:TEST:unit"


@pytest.fixture
def world() -> World:
    w = build_world()
    card = FakeCardProvider(provider_token=TOKEN)
    w.deps.providers = {Provider.TELEGRAM_STARS: w.stars, Provider.CRYPTOPAY: w.crypto,
                        CARD: card}
    w.deps.catalog = Catalog([
        CreditPackage("starter", "Starter", 100, Stars(50),
                      prices={CARD: FiatAmount(Decimal("4.99"), "USD")}),
        CreditPackage("yen", "Yen pack", 80, prices={CARD: FiatAmount(Decimal("500"), "JPY")}),
        CreditPackage("stars_only", "Stars only", 20, Stars(10)),
    ])
    return w


async def open_card_session(world: World, package_id: str = "starter") -> str:
    view = await world.handle(c.CreateSession("u1", package_id, CARD))
    await world.handle(c.StartDeepLink(view.id, 777, 777, "Ann"))
    return str(view.id)


class TestInvoice:
    async def test_the_deep_link_sends_an_invoice_in_cents_with_the_providers_token(
            self, world: World) -> None:
        # When
        session_id = await open_card_session(world)
        # Then
        [invoice] = world.messenger.invoices
        assert (invoice.currency, invoice.amount, invoice.payload) == ("USD", 499, session_id)
        assert invoice.provider_token == TOKEN
        assert TOKEN not in repr(invoice)
        assert world.texts_to(777) == ["Starter: 100 credits for 4.99 USD. Tap Pay to continue."]

    async def test_the_token_is_never_stored_with_the_queued_invoice(self, world: World) -> None:
        await open_card_session(world)

        [item] = [i for i in world.outbox() if type(i.effect).__name__ == "SendInvoice"]
        assert TOKEN not in repr(item.effect)

    async def test_a_zero_decimal_currency_is_sent_in_whole_units(self, world: World) -> None:
        await open_card_session(world, "yen")

        [invoice] = world.messenger.invoices
        assert (invoice.currency, invoice.amount) == ("JPY", 500)

    async def test_a_session_opened_by_the_host_app_shows_the_deep_link(self, world: World
                                                                        ) -> None:
        view = await world.handle(c.CreateSession("u1", "starter", CARD))

        assert view.deep_link is not None and view.pay_url is None
        assert view.invoice_link == f"https://t.me/$card_{view.id}"


class TestPreCheckout:
    @pytest.mark.parametrize(("currency", "amount", "ok"), [
        ("USD", 499, True), ("USD", 100, False), ("USD", 49900, False), ("EUR", 499, False),
        ("XTR", 50, False)])
    async def test_only_the_exact_amount_in_the_currency_is_approved(
            self, world: World, currency: str, amount: int, ok: bool) -> None:
        session_id = await open_card_session(world)

        answer = await world.handle(c.ValidatePreCheckout("q1", 777, session_id, currency,
                                                          amount))

        assert answer.ok is ok
        if not ok:
            assert answer.error_key == "checkout_wrong_amount"


class TestPayment:
    async def test_a_card_payment_is_credited_once_and_keeps_the_providers_reference(
            self, world: World) -> None:
        # Given
        session_id = await open_card_session(world)
        paid = FiatAmount(Decimal("4.99"), "USD")
        # When the payment is reported twice
        first = await world.handle(c.CompletePayment(CARD, session_id, "tg-ch-1", paid, 777, 777,
                                                     provider_charge_id="ch_3Pq"))
        again = await world.handle(c.CompletePayment(CARD, session_id, "tg-ch-1", paid, 777, 777,
                                                     provider_charge_id="ch_3Pq"))
        # Then
        assert first.credited and not again.credited
        assert await world.balance("u1") == 100
        async with world.deps.uow(read_only=True) as uow:
            charge = await uow.charges.get(CARD, "tg-ch-1")
        assert charge is not None and charge.status is ChargeStatus.CREDITED
        assert charge.provider_charge_id == "ch_3Pq"

    async def test_an_overpayment_is_not_taken_for_the_price(self, world: World) -> None:
        # Cards pay the exact amount (the trait): more than the price is a mismatch.
        session_id = await open_card_session(world)

        outcome = await world.handle(c.CompletePayment(
            CARD, session_id, "tg-ch-2", FiatAmount(Decimal("5.99"), "USD"), 777, 777))

        assert not outcome.credited and outcome.rejected_reason
        assert await world.balance("u1") == 0

    async def test_an_extra_card_charge_is_left_for_a_manual_return(self, world: World) -> None:
        # Given a paid session; When a second charge arrives for it
        session_id = await open_card_session(world)
        paid = FiatAmount(Decimal("4.99"), "USD")
        await world.handle(c.CompletePayment(CARD, session_id, "tg-ch-1", paid, 777, 777))
        outcome = await world.handle(c.CompletePayment(CARD, session_id, "tg-ch-9", paid, 777,
                                                       777))
        # Then it is not credited, and no refund is queued (the Bot API cannot refund cards)
        assert not outcome.credited
        assert "support will return" in (outcome.rejected_reason or "")
        assert not [i for i in world.outbox() if type(i.effect).__name__ == "RefundCharge"]


class TestBuyFromChat:
    async def test_each_chat_provider_that_prices_a_package_gets_a_button(
            self, world: World) -> None:
        await world.handle(c.ShowPackages(777, "Ann"))

        [menu] = world.messenger.messages
        labels = [(b.text, b.callback_data) for row in menu.buttons for b in row]
        assert labels == [
            ("Starter · 100 credits · 50 ⭐", "buy:starter"),
            ("Starter · 100 credits · 4.99 USD", "buy:starter:1"),
            ("Yen pack · 80 credits · 500 JPY", "buy:yen:1"),
            ("Stars only · 20 credits · 10 ⭐", "buy:stars_only"),
        ]

    async def test_the_card_button_opens_a_card_session(self, world: World) -> None:
        answer = await world.handle(c.BuyFromChat("q1", 777, 777, "starter:1", "Ann"))

        assert answer.session is not None and answer.session.provider == "telegram_payments"
        [invoice] = world.messenger.invoices
        assert (invoice.currency, invoice.amount) == ("USD", 499)

    async def test_a_button_for_a_provider_no_longer_there_gets_an_alert(
            self, world: World) -> None:
        answer = await world.handle(c.BuyFromChat("q1", 777, 777, "starter:5", "Ann"))

        assert answer.session is None and answer.alert
        assert world.sessions() == []

    def test_the_longest_button_data_fits_telegrams_64_bytes(self) -> None:
        package = CreditPackage("x" * 48, "X", 1, Stars(1))
        assert len(buy_data(package, 99)) <= 64


class TestRefund:
    async def test_the_admin_is_told_to_refund_in_the_dashboard_then_records_it(
            self, world: World) -> None:
        # Given a card purchase
        session_id = await open_card_session(world)
        await world.handle(c.CompletePayment(CARD, session_id, "tg-ch-1",
                                             FiatAmount(Decimal("4.99"), "USD"), 777, 777,
                                             provider_charge_id="ch_3Pq"))
        # When the admin asks Starport to refund it
        with pytest.raises(RefundNotSupported) as refused:
            await world.handle(c.RefundPayment(session_id, "admin"))
        # Then it says where, with the payment provider's reference, and nothing changed
        assert "dashboard" in refused.value.message
        assert "(the payment there: ch_3Pq)" in refused.value.message
        assert await world.balance("u1") == 100
        # When the admin records the refund made there
        result = await world.handle(c.RecordRefund(session_id, "admin", "Stripe re_123"))
        # Then the credits come back out, once
        assert (result.credits, result.already_refunded) == (100, False)
        assert await world.balance("u1") == 0
        assert (await world.session(session_id)).status is SessionStatus.REFUNDED
        async with world.deps.uow(read_only=True) as uow:
            charge = await uow.charges.get(CARD, "tg-ch-1")
        assert charge is not None and charge.status is ChargeStatus.REFUNDED
