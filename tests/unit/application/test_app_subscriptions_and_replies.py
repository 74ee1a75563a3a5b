"""Star subscriptions (a monthly package that makes the buyer a patron) and bot command replies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from starport.application import commands as c
from starport.application.deliveries import DuplicateDelivery
from starport.application.effects import Button, InvitePatron, OutboxStatus
from starport.domain.charges import Decision
from starport.domain.money import Stars
from starport.domain.perks import MemberStatus
from starport.domain.providers import Provider

STARS = Provider.TELEGRAM_STARS
MONTH = timedelta(days=30)


async def subscribe(world, charge_id: str = "sub-1", telegram_user_id: int = 777):
    view = await world.handle(c.CreateSession("u1", "monthly", STARS))
    await world.handle(c.StartDeepLink(view.id, telegram_user_id, telegram_user_id, "Ann"))
    outcome = await world.handle(c.CompletePayment(
        STARS, view.id, charge_id, Stars(250), telegram_user_id, telegram_user_id,
        subscription_until=world.clock.now() + MONTH))
    assert outcome.credited
    return view


def renewal(world, session_id: str, charge_id: str) -> c.CompletePayment:
    return c.CompletePayment(STARS, session_id, charge_id, Stars(250), 777, 777,
                             subscription_until=world.clock.now() + MONTH)


async def patron_until(world, telegram_user_id: int = 777):
    async with world.deps.uow() as uow:
        patron = await uow.patrons.get(telegram_user_id)
    assert patron is not None
    return patron.until


class TestSubscriptions:
    async def test_the_session_offers_a_subscribe_button_instead_of_an_invoice(self, world
                                                                              ) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "monthly", STARS))
        # When
        await world.handle(c.StartDeepLink(view.id, 777, 777, "Ann"))
        # Then
        [message] = world.messenger.messages
        assert message.buttons == ((Button("Subscribe", url=view.invoice_link),),)
        assert world.messenger.invoices == []

    async def test_subscribing_credits_and_makes_a_patron_with_an_invite(self, world) -> None:
        # When
        await subscribe(world)
        # Then
        assert await world.balance("u1") == 300
        assert await patron_until(world) == world.clock.now() + MONTH
        assert len(world.channel.links) == 1
        assert any(link in text for text in world.texts_to(777) for link in world.channel.links)
        assert await world.handle(c.AnswerJoinRequest(777)) is True

    async def test_the_invite_is_queued_with_the_payment_and_retried_if_the_channel_refuses(
            self, world) -> None:
        # Given the bot lost its admin rights in the channel
        world.channel.bot_is_admin = False
        # When Ann subscribes
        await subscribe(world)
        # Then the payment stands, and the invite waits in the outbox
        assert await world.balance("u1") == 300
        [item] = [i for i in world.outbox() if isinstance(i.effect, InvitePatron)]
        assert item.effect == InvitePatron(777, "")
        assert (item.status, item.attempts) == (OutboxStatus.PENDING, 1)
        assert world.channel.links == {}
        # When the rights are back and the job retries it
        world.channel.bot_is_admin = True
        world.clock.advance(timedelta(minutes=1))
        counts = await world.handle(c.DispatchOutbox())
        # Then she gets her invite
        assert counts["sent"] == 1
        [link] = world.channel.links
        assert any(link in text for text in world.texts_to(777))

    async def test_a_renewal_credits_again_and_extends_the_patronage(self, world) -> None:
        # Given
        view = await subscribe(world)
        world.clock.advance(MONTH - timedelta(days=1))
        # When
        outcome = await world.handle(renewal(world, view.id, "sub-2"))
        replay = await world.handle(renewal(world, view.id, "sub-2"))
        # Then
        assert outcome.decision is Decision.RENEWAL and outcome.credited
        assert (replay.decision, replay.credited) == (Decision.REPLAY, False)
        assert await world.balance("u1") == 600
        assert await patron_until(world) == world.clock.now() + MONTH
        assert len(world.channel.links) == 1  # still entitled: no new invite
        assert len([i for i in world.outbox() if isinstance(i.effect, InvitePatron)]) == 1

    async def test_a_renewal_at_the_wrong_price_is_refused(self, world) -> None:
        # Given
        view = await subscribe(world)
        # When
        outcome = await world.handle(c.CompletePayment(STARS, view.id, "sub-2", Stars(100),
                                                       777, 777))
        # Then
        assert outcome.credited is False
        assert (outcome.decision, outcome.label) == (Decision.REJECT, "rejected")
        assert outcome.rejected_reason
        assert await world.balance("u1") == 300

    async def test_ending_the_patronage_cancels_the_subscription(self, world) -> None:
        # Given
        await subscribe(world)
        await world.handle(c.ObserveMembership(777, MemberStatus.MEMBER))
        # When
        await world.handle(c.EndPatronage(777))
        # Then
        assert world.stars.cancelled_subscriptions == [(777, "sub-1")]
        assert world.channel.removed == [777]

    async def test_a_provider_refund_of_a_renewal_charge_is_recorded(self, world) -> None:
        # Given
        view = await subscribe(world)
        await world.handle(renewal(world, view.id, "sub-2"))
        # When Telegram reports it refunded the renewal
        await world.handle(c.RecordProviderRefund(STARS, "sub-2", view.id, "dispute"))
        # Then that charge's credits come back out
        assert await world.balance("u1") == 300

    async def test_a_lifetime_patron_who_subscribes_stays_a_patron(self, world) -> None:
        # Given an admin made Ann a patron for good
        await world.handle(c.MakePatron(777, user_id="u1"))
        # When she also subscribes, and the month passes
        await subscribe(world)
        world.clock.advance(MONTH + timedelta(days=1))
        # Then she is still a patron
        assert await world.handle(c.AnswerJoinRequest(777)) is True


class TestReplies:
    async def test_a_command_is_answered_with_its_bot_message(self, world) -> None:
        # When
        await world.handle(c.Reply(777, "bot_welcome", "Ann"))
        # Then
        assert world.texts_to(777) == [
            "Welcome, Ann! Buy credits with /buy and see them with /balance."]

    async def test_the_answer_uses_the_admin_edited_text(self, world) -> None:
        # Given
        await world.handle(c.UpdateBotMessage("support_info", "Ask {bot_name} support.", None,
                                              "admin"))
        # When
        await world.handle(c.Reply(777, "support_info"))
        # Then
        assert world.texts_to(777) == ["Ask Starport support."]

    async def test_balance_is_answered_with_the_users_balance(self, world) -> None:
        # Given
        await world.buy()
        # When
        balance = await world.handle(c.ReplyBalance(777, "u1", "Ann"))
        # Then
        assert balance == 100
        assert world.texts_to(777)[-1] == (
            "Your balance: 100 credits.\n2026-01-01 +100 credit package purchase")

    async def test_a_duplicate_delivery_of_start_sends_one_reply(self, world) -> None:
        # Given /start was handled
        await world.handle(c.Reply(777, "bot_welcome", "Ann", world.delivery("41")))
        # When Telegram delivers the same update again (our answer was lost, say)
        with pytest.raises(DuplicateDelivery):
            await world.handle(c.Reply(777, "bot_welcome", "Ann", world.delivery("41")))
        # Then Ann got one welcome, and the delivery is stored once, with its outcome
        assert world.texts_to(777) == [
            "Welcome, Ann! Buy credits with /buy and see them with /balance."]
        assert [(d.update_id, d.outcome) for d in world.deliveries()] == [
            ("41", "reply:bot_welcome")]
        assert len(world.outbox()) == 1


class TestBuyFromChat:
    async def test_buy_lists_the_stars_packages_on_sale_as_buttons(self, world) -> None:
        # When
        shown = await world.handle(c.ShowPackages(777, "Ann"))
        # Then
        [menu] = world.messenger.messages
        assert shown == 3
        assert menu.text == "Choose a credit package:"
        assert [row[0].callback_data for row in menu.buttons] == [
            "buy:starter", "buy:pro", "buy:stars_only"]

    async def test_a_package_button_opens_a_session_and_sends_its_invoice(self, world) -> None:
        # When
        answer = await world.handle(c.BuyFromChat("q1", 777, 777, "starter", "Ann"))
        # Then
        assert answer.alert is None and answer.session is not None
        assert (answer.session.user_id, answer.session.status) == ("777", "invoiced")
        [invoice] = world.messenger.invoices
        assert (invoice.chat_id, invoice.payload, invoice.currency, invoice.amount) == (
            777, answer.session.id, "XTR", 50)
        assert world.messenger.callback_answers == {}  # the router answers the button

    async def test_a_button_of_a_package_no_longer_on_sale_gets_an_alert_and_nothing_else(
            self, world) -> None:
        # When
        answer = await world.handle(c.BuyFromChat("q1", 777, 777, "retired", "Ann",
                                                  world.delivery("1")))
        # Then
        assert answer.session is None
        assert answer.alert == (
            "This package is no longer available. Send /buy to see what is on sale.")
        assert (world.sessions(), world.outbox(), world.deliveries()) == ([], [], [])
