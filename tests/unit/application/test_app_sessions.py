"""Creating a payment session, opening it in the bot (deep link), and Telegram's pre-checkout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from starport.adapters.memory.providers import FakeCryptoPayProvider
from starport.application import commands as c
from starport.application.payments import get_session
from starport.application.ports import Invoice, InvoiceRequest, ProviderError
from starport.application.views import PreCheckoutAnswer
from starport.domain.errors import (
    DomainError,
    ForeignPayer,
    PackageUnavailable,
    ProviderNotEnabled,
    SessionExpired,
    SessionNotFound,
    UnknownPackage,
)
from starport.domain.money import Stars
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession, SessionStatus

STARS, CRYPTO = Provider.TELEGRAM_STARS, Provider.CRYPTOPAY


class BrokenCryptoPay(FakeCryptoPayProvider):
    async def create_invoice(self, session: PaymentSession, title: str, description: str
                             ) -> Invoice:
        raise ProviderError("createInvoice: 500 Internal Server Error")


class TestCreateSession:
    async def test_a_stars_session_gets_an_invoice_link_and_a_deep_link(self, world) -> None:
        # When
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        # Then
        assert view.invoice_link == f"https://t.me/$fake_{view.id}"
        assert view.deep_link == f"https://t.me/starport_bot?start=pay_{view.id}"
        assert view.pay_url is None
        assert (view.status, view.amount, view.currency, view.credits) == (
            "invoiced", "50", "XTR", 100)
        assert view.expires_at - view.created_at == timedelta(minutes=30)

    async def test_a_crypto_pay_session_gets_a_pay_url(self, world) -> None:
        # When
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        # Then
        assert view.pay_url == "https://t.me/CryptoBot?start=IV1000"
        assert view.deep_link is None
        assert view.invoice_link is None
        assert (view.status, view.amount, view.currency) == ("invoiced", "1.5", "TON")
        assert world.crypto.invoices["1000"].session_id == view.id
        assert (await world.session(view.id)).invoice_id == "1000"

    async def test_a_crypto_pay_session_may_be_priced_in_fiat(self, world) -> None:
        # When
        view = await world.handle(c.CreateSession("u1", "pro", CRYPTO))
        # Then
        assert (view.amount, view.currency, view.credits) == ("9.99", "USD", 500)

    async def test_the_session_can_be_read_back(self, world) -> None:
        # Given
        created = await world.handle(c.CreateSession("u1", "starter", STARS))
        # When
        read = await get_session(world.deps, created.id)
        # Then
        assert read == created

    async def test_an_unknown_session_is_not_found(self, world) -> None:
        with pytest.raises(SessionNotFound):
            await get_session(world.deps, "nope")

    async def test_a_disabled_provider_is_refused_and_nothing_is_stored(self, make_world) -> None:
        # Given only Stars enabled
        world = make_world(providers={STARS: FakeCryptoPayProvider()})
        # When / Then
        with pytest.raises(ProviderNotEnabled):
            await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        assert world.sessions() == []

    @pytest.mark.parametrize(("package_id", "provider", "error"), [
        ("nope", STARS, UnknownPackage),
        ("retired", STARS, PackageUnavailable),
        ("stars_only", CRYPTO, PackageUnavailable),
        ("crypto_only", STARS, PackageUnavailable),
    ])
    async def test_a_package_not_on_sale_is_refused_and_nothing_is_stored(
            self, world, package_id: str, provider: Provider, error: type[Exception]) -> None:
        # When / Then
        with pytest.raises(error):
            await world.handle(c.CreateSession("u1", package_id, provider))
        assert world.sessions() == []

    async def test_a_crypto_pay_invoice_failure_marks_the_session_failed(self, make_world
                                                                          ) -> None:
        # Given Crypto Pay failing to create invoices
        world = make_world(providers={CRYPTO: BrokenCryptoPay()})
        # When
        with pytest.raises(ProviderError):
            await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        # Then the session is kept, failed, with the reason
        [session] = world.sessions()
        assert session.status is SessionStatus.FAILED
        assert "invoice could not be created" in (session.failure_reason or "")

    async def test_a_stars_invoice_link_failure_still_leaves_the_deep_link(self, world) -> None:
        # Given createInvoiceLink failing
        world.stars.fail_invoices = True
        # When
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        # Then the user can still pay in the bot's chat
        assert view.invoice_link is None
        assert view.deep_link is not None
        assert view.status == "pending"
        await world.handle(c.StartDeepLink(view.id, 777, 777, "Ann"))
        assert len(world.messenger.invoices) == 1


class TestStartDeepLink:
    async def test_opening_the_link_sends_the_session_and_its_invoice(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        # When
        opened = await world.handle(c.StartDeepLink(view.id, 777, 777, "Ann"))
        # Then
        assert opened.status == "invoiced"
        assert (await world.session(view.id)).telegram_user_id == 777
        assert world.texts_to(777) == ["Starter: 100 credits for 50 ⭐. Tap Pay to continue."]
        assert world.messenger.invoices == [InvoiceRequest(
            chat_id=777, title="Starter", description="100 credits", payload=view.id,
            currency="XTR", amount=50)]
        assert {i.status for i in world.outbox()} == {"sent"}

    async def test_the_session_ready_text_is_the_admin_edited_one(self, world) -> None:
        # Given
        await world.handle(c.UpdateBotMessage(
            "session_ready", "Hi {first_name}! {credits} credits: {amount}", None, "admin"))
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        # When
        await world.handle(c.StartDeepLink(view.id, 777, 777, "Ann"))
        # Then
        assert world.texts_to(777) == ["Hi Ann! 100 credits: 50 ⭐"]

    async def test_the_owner_may_open_the_link_again(self, world) -> None:
        # Given
        view = await world.open_stars_session(telegram_user_id=777)
        # When
        await world.handle(c.StartDeepLink(view.id, 777, 777, "Ann"))
        # Then
        assert len(world.messenger.invoices) == 2

    async def test_another_users_session_is_refused_with_the_template_message(self, world
                                                                              ) -> None:
        # Given Ann opened her session
        view = await world.open_stars_session(telegram_user_id=777)
        # When Bob opens the same link
        with pytest.raises(ForeignPayer):
            await world.handle(c.StartDeepLink(view.id, 778, 778, "Bob"))
        # Then Bob is told, through the outbox, and gets no invoice
        await world.handle(c.DispatchOutbox())
        assert world.texts_to(778) == ["This payment link belongs to another account."]
        assert [i.chat_id for i in world.messenger.invoices] == [777]
        assert (await world.session(view.id)).telegram_user_id == 777

    async def test_the_refusal_reaches_the_user_right_away(self, world) -> None:
        # Given
        view = await world.open_stars_session(telegram_user_id=777)
        # When
        with pytest.raises(ForeignPayer):
            await world.handle(c.StartDeepLink(view.id, 778, 778, "Bob"))
        # Then without waiting for the outbox job
        assert world.texts_to(778) == ["This payment link belongs to another account."]

    async def test_a_session_bound_to_a_telegram_user_at_creation_refuses_others(self, world
                                                                                 ) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", STARS, telegram_user_id=777))
        # When / Then
        with pytest.raises(ForeignPayer):
            await world.handle(c.StartDeepLink(view.id, 778, 778))

    async def test_an_expired_session_is_refused_with_the_expiry_message(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        world.clock.advance(timedelta(minutes=31))
        # When
        with pytest.raises(SessionExpired):
            await world.handle(c.StartDeepLink(view.id, 777, 777))
        # Then
        await world.handle(c.DispatchOutbox())
        assert world.texts_to(777) == [
            "This payment link has expired. Please start a new purchase."]
        assert world.messenger.invoices == []

    async def test_an_unknown_session_is_not_found(self, world) -> None:
        # When / Then
        with pytest.raises(SessionNotFound):
            await world.handle(c.StartDeepLink("nope", 777, 777))
        assert world.messenger.invoices == []

    async def test_a_crypto_pay_session_opened_in_the_bot_is_said_unavailable(self, world
                                                                              ) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        # When
        with pytest.raises(DomainError):
            await world.handle(c.StartDeepLink(view.id, 777, 777))
        await world.handle(c.DispatchOutbox())
        # Then
        assert world.texts_to(777) == ["This purchase is not available any more."]

    async def test_a_crypto_pay_session_gets_no_stars_invoice(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", CRYPTO))
        # When / Then
        with pytest.raises(DomainError):
            await world.handle(c.StartDeepLink(view.id, 777, 777))
        assert world.messenger.invoices == []
        assert (await world.session(view.id)).status is SessionStatus.INVOICED


class TestPreCheckout:
    async def test_the_owner_paying_the_price_in_time_is_accepted(self, world) -> None:
        # Given
        view = await world.open_stars_session(telegram_user_id=777)
        # When
        answer = await world.handle(c.ValidatePreCheckout("q1", 777, view.id, "XTR", 50))
        # Then (the webhook answers Telegram with it, in its response)
        assert answer == PreCheckoutAnswer(ok=True)
        assert world.messenger.pre_checkout_answers == {}  # not a second answer by the Bot API

    @pytest.mark.parametrize(("payer", "currency", "amount", "key", "text"), [
        (778, "XTR", 50, "checkout_wrong_user", "This payment link belongs to another account."),
        (777, "XTR", 49, "checkout_wrong_amount",
         "The price has changed. Please start a new purchase."),
        (777, "USD", 50, "checkout_wrong_amount",
         "The price has changed. Please start a new purchase."),
        # Fails on purpose (suspected src bug, reported): price_from_minor_units raises
        # InvalidAmount for 0 Stars, which payments._CHECKOUT_ERRORS does not map, so the payer
        # is told "not available any more" instead of the wrong-amount text.
        (777, "XTR", 0, "checkout_wrong_amount",
         "The price has changed. Please start a new purchase."),
    ])
    async def test_a_wrong_payer_amount_or_currency_is_refused_with_the_template_text(
            self, world, payer: int, currency: str, amount: int, key: str, text: str) -> None:
        # Given
        view = await world.open_stars_session(telegram_user_id=777)
        # When
        answer = await world.handle(c.ValidatePreCheckout("q1", payer, view.id, currency,
                                                          amount))
        # Then
        assert (answer.ok, answer.error_key, answer.error_message) == (False, key, text)

    async def test_an_expired_session_is_refused(self, world) -> None:
        # Given
        view = await world.open_stars_session(telegram_user_id=777)
        world.clock.advance(timedelta(minutes=30))
        # When
        answer = await world.handle(c.ValidatePreCheckout("q1", 777, view.id, "XTR", 50))
        # Then
        assert (answer.ok, answer.error_key) == (False, "checkout_expired")
        assert answer.error_message == (
            "This payment link has expired. Please start a new purchase.")

    async def test_an_unknown_session_is_refused(self, world) -> None:
        # When
        answer = await world.handle(c.ValidatePreCheckout("q1", 777, "nope", "XTR", 50))
        # Then
        assert (answer.ok, answer.error_key) == (False, "checkout_unavailable")
        assert answer.error_message == "This purchase is not available any more."

    async def test_a_paid_session_is_refused(self, world) -> None:
        # Given
        view = await world.buy(telegram_user_id=777)
        # When
        answer = await world.handle(c.ValidatePreCheckout("q2", 777, view.id, "XTR", 50))
        # Then
        assert answer.error_key == "checkout_unavailable"

    async def test_an_admin_edited_template_text_is_used(self, world) -> None:
        # Given
        await world.handle(c.UpdateBotMessage(
            "checkout_unavailable", "Sorry, {session_id} cannot be paid: {reason}", None,
            "admin"))
        # When
        answer = await world.handle(c.ValidatePreCheckout("q1", 777, "gone", "XTR", 50))
        # Then
        assert answer.error_message == "Sorry, gone cannot be paid: no payment session 'gone'"

    async def test_an_invoice_link_paid_without_the_deep_link_binds_the_payer_at_payment(
            self, world) -> None:
        # Given a Mini App opened the invoice link directly
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        # When its pre-checkout is approved
        first = await world.handle(c.ValidatePreCheckout("q1", 900, view.id, "XTR", 50))
        # Then nothing is written yet: the payment binds the payer
        assert first.ok
        assert (await world.session(view.id)).telegram_user_id is None
        # When the payment arrives
        await world.handle(c.CompletePayment(STARS, view.id, "tg-1", Stars(50), 900, 900))
        # Then the session is the payer's, and another user's pre-checkout is refused
        assert (await world.session(view.id)).telegram_user_id == 900
        second = await world.handle(c.ValidatePreCheckout("q2", 901, view.id, "XTR", 50))
        assert not second.ok

    async def test_an_approved_pre_checkout_stores_nothing(self, world) -> None:
        # Given
        view = await world.open_stars_session(telegram_user_id=777)
        # When
        answer = await world.handle(c.ValidatePreCheckout(
            "q1", 777, view.id, "XTR", 50, delivery=world.delivery("1", session_id=view.id)))
        # Then nothing to repeat, nothing to dispute
        assert answer.ok
        assert world.deliveries() == []

    async def test_a_refused_pre_checkout_changes_nothing(self, world) -> None:
        # Given
        view = await world.open_stars_session(telegram_user_id=777)
        await world.handle(c.ValidatePreCheckout("q1", 778, view.id, "XTR", 50))
        # When
        session = await world.session(view.id)
        # Then
        assert (session.status, session.telegram_user_id) == (SessionStatus.INVOICED, 777)
