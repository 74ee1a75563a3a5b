"""Star subscriptions (a monthly package that makes the buyer a patron) and bot command replies."""

from __future__ import annotations

from datetime import timedelta

from application import commands as c
from application.deliveries import DuplicateDelivery
from application.effects import Button, InvitePatron
from domain.money import Stars
from domain.perks import MemberStatus
from domain.providers import Provider

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

    async def test_a_renewal_credits_again_and_extends_the_patronage(self, world) -> None:
        # Given
        view = await subscribe(world)
        world.clock.advance(MONTH - timedelta(days=1))
        # When
        outcome = await world.handle(renewal(world, view.id, "sub-2"))
        replay = await world.handle(renewal(world, view.id, "sub-2"))
        # Then
        assert outcome.credited and not replay.credited
        assert await world.balance("u1") == 600
        assert await patron_until(world) == world.clock.now() + MONTH
        assert len(world.channel.links) == 1  # still entitled: no new invite

    async def test_a_renewal_at_the_wrong_price_is_refused(self, world) -> None:
        # Given
        view = await subscribe(world)
        # When
        outcome = await world.handle(c.CompletePayment(STARS, view.id, "sub-2", Stars(100),
                                                       777, 777))
        # Then
        assert outcome.credited is False
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
