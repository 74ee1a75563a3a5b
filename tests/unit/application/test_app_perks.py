"""Channel perks: patrons get a single-use invite, a join earns a bonus once, patronage ends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from starport.application import commands as c
from starport.application.effects import Button
from starport.application.ports import ChannelNotAdmin
from starport.domain.errors import NotAPatron, PerksDisabled
from starport.domain.perks import InviteStatus, MemberStatus

PATRON = 555
BONUS_TEXT = "Thanks for joining the channel! 10 bonus credits added. Balance: {}."


async def invites_of(world, telegram_user_id: int) -> list:
    async with world.deps.uow() as uow:
        return list(await uow.invites.for_user(telegram_user_id))


class TestMakePatron:
    async def test_a_new_patron_gets_a_single_use_invite_with_a_join_button(self, world
                                                                            ) -> None:
        # When
        invite = await world.handle(c.MakePatron(PATRON, first_name="Ann"))
        # Then
        assert invite.link in world.channel.links
        assert world.channel.links[invite.link] == world.clock.now() + timedelta(days=1)
        assert invite.member_limit == 1
        [message] = world.messenger.messages
        assert message.chat_id == PATRON
        assert invite.link in message.text
        assert "2026-01-02 12:00 UTC" in message.text
        assert message.buttons == ((Button("Join channel", url=invite.link),),)

    async def test_making_a_patron_twice_does_not_send_a_second_invite(self, world) -> None:
        # Given
        await world.handle(c.MakePatron(PATRON))
        # When / Then
        assert await world.handle(c.MakePatron(PATRON)) is None
        assert len(world.channel.links) == 1
        assert len(world.messenger.messages) == 1

    async def test_a_patron_already_in_the_channel_gets_no_invite(self, world) -> None:
        # Given
        await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER))
        # When / Then
        assert await world.handle(c.MakePatron(PATRON)) is None
        assert world.channel.links == {}

    async def test_a_new_invite_once_the_old_one_expired(self, world) -> None:
        # Given
        await world.handle(c.MakePatron(PATRON))
        world.clock.advance(timedelta(days=1))
        # When / Then
        assert await world.handle(c.MakePatron(PATRON)) is not None
        assert len(world.channel.links) == 2

    async def test_a_bot_that_is_not_channel_admin_records_no_invite(self, world) -> None:
        # Given
        world.channel.bot_is_admin = False
        # When
        with pytest.raises(ChannelNotAdmin):
            await world.handle(c.MakePatron(PATRON))
        # Then no invite is recorded and nothing is sent
        assert await invites_of(world, PATRON) == []
        assert world.outbox() == []
        assert world.messenger.messages == []

    async def test_inviting_someone_who_is_not_a_patron_is_refused(self, world) -> None:
        # When / Then
        with pytest.raises(NotAPatron):
            await world.handle(c.InvitePatron(999, "Bob"))
        assert world.channel.links == {}
        assert world.messenger.messages == []

    async def test_perks_are_off_without_a_channel(self, make_world) -> None:
        # Given
        world = make_world(channel=False)
        # When
        for command in (c.MakePatron(PATRON), c.EndPatronage(PATRON),
                        c.AnswerJoinRequest(PATRON), c.VerifyMembership(PATRON),
                        c.CheckMemberships(), c.BulkInvite()):
            with pytest.raises(PerksDisabled):
                await world.handle(command)
        # Then
        assert world.db.store.patrons.rows == {}

    async def test_perks_are_off_with_a_gateway_but_no_channel_id(self, make_world) -> None:
        # Given
        world = make_world(channel_id=None)
        # When / Then
        with pytest.raises(PerksDisabled):
            await world.handle(c.MakePatron(PATRON))


class TestJoinBonus:
    async def test_a_patron_joining_through_the_invite_gets_the_bonus_once(self, world
                                                                          ) -> None:
        # Given
        invite = await world.handle(c.MakePatron(PATRON, user_id="u555"))
        # When
        granted = await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER,
                                                         invite.link, "Ann"))
        # Then
        assert granted is True
        assert await world.balance("u555") == 10
        assert world.texts_to(PATRON)[-1] == BONUS_TEXT.format(10)
        [stored] = await invites_of(world, PATRON)
        assert stored.status is InviteStatus.USED

    async def test_leaving_and_rejoining_earns_no_second_bonus(self, world) -> None:
        # Given
        await world.handle(c.MakePatron(PATRON))
        await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER))
        # When
        await world.handle(c.ObserveMembership(PATRON, MemberStatus.LEFT))
        again = await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER))
        # Then
        assert again is False
        assert await world.balance(str(PATRON)) == 10
        assert world.texts_to(PATRON).count(BONUS_TEXT.format(10)) == 1

    async def test_a_repeated_member_update_earns_no_second_bonus(self, world) -> None:
        # Given
        await world.handle(c.MakePatron(PATRON))
        await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER))
        # When / Then
        assert await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER)) is False
        assert await world.balance(str(PATRON)) == 10

    async def test_a_bonus_lands_on_top_of_purchased_credits(self, world) -> None:
        # Given
        await world.buy("u555", telegram_user_id=PATRON)
        await world.handle(c.MakePatron(PATRON, user_id="u555"))
        # When
        await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER))
        # Then
        assert await world.balance("u555") == 110
        assert world.texts_to(PATRON)[-1] == BONUS_TEXT.format(110)

    async def test_someone_who_is_not_a_patron_earns_nothing(self, world) -> None:
        # When / Then
        assert await world.handle(c.ObserveMembership(999, MemberStatus.MEMBER)) is False
        assert await world.balance("999") == 0

    async def test_a_lapsed_patron_earns_nothing(self, world) -> None:
        # Given
        await world.handle(c.MakePatron(PATRON, until=world.clock.now() + timedelta(hours=1)))
        world.clock.advance(timedelta(hours=2))
        # When / Then
        assert await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER)) is False
        assert await world.balance(str(PATRON)) == 0

    async def test_no_bonus_when_the_bonus_is_switched_off(self, make_world) -> None:
        # Given
        world = make_world(join_bonus_credits=0)
        await world.handle(c.MakePatron(PATRON))
        # When / Then
        assert await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER)) is False
        assert await world.balance(str(PATRON)) == 0

    async def test_verifying_membership_asks_the_channel_and_grants_the_bonus(self, world
                                                                             ) -> None:
        # Given
        await world.handle(c.MakePatron(PATRON))
        world.channel.members[PATRON] = MemberStatus.MEMBER
        # When
        status = await world.handle(c.VerifyMembership(PATRON))
        # Then
        assert status is MemberStatus.MEMBER
        assert await world.balance(str(PATRON)) == 10


class TestJoinRequestsAndEnd:
    async def test_a_patrons_join_request_is_approved(self, world) -> None:
        # Given
        await world.handle(c.MakePatron(PATRON))
        # When / Then
        assert await world.handle(c.AnswerJoinRequest(PATRON)) is True
        assert world.channel.join_answers == {PATRON: True}

    async def test_anyone_elses_join_request_is_declined(self, world) -> None:
        # When / Then
        assert await world.handle(c.AnswerJoinRequest(999)) is False
        assert world.channel.join_answers == {999: False}

    async def test_ending_the_patronage_revokes_the_invite_and_removes_the_member(self, world
                                                                                 ) -> None:
        # Given a patron who joined through their invite
        first = await world.handle(c.MakePatron(PATRON))
        await world.handle(c.ObserveMembership(PATRON, MemberStatus.MEMBER, first.link))
        world.channel.members[PATRON] = MemberStatus.MEMBER
        # When
        assert await world.handle(c.EndPatronage(PATRON)) is True
        # Then the removal went through the outbox, and the used link needs no revoking
        assert world.channel.removed == [PATRON]
        assert world.channel.revoked == []
        assert await world.handle(c.AnswerJoinRequest(PATRON)) is False

    async def test_ending_revokes_an_unused_invite(self, world) -> None:
        # Given
        invite = await world.handle(c.MakePatron(PATRON))
        # When
        await world.handle(c.EndPatronage(PATRON))
        # Then
        assert world.channel.revoked == [invite.link]
        assert world.channel.removed == []
        [stored] = await invites_of(world, PATRON)
        assert stored.status is InviteStatus.REVOKED

    async def test_ending_twice_does_nothing_more(self, world) -> None:
        # Given
        await world.handle(c.MakePatron(PATRON))
        await world.handle(c.EndPatronage(PATRON))
        # When / Then
        assert await world.handle(c.EndPatronage(PATRON)) is False
        assert len(world.channel.revoked) == 1

    async def test_ending_a_stranger_is_refused(self, world) -> None:
        with pytest.raises(NotAPatron):
            await world.handle(c.EndPatronage(999))

    async def test_an_ended_patron_made_patron_again_gets_a_new_invite(self, world) -> None:
        # Given
        await world.handle(c.MakePatron(PATRON))
        await world.handle(c.EndPatronage(PATRON))
        # When
        invite = await world.handle(c.MakePatron(PATRON))
        # Then
        assert invite is not None
        assert await world.handle(c.AnswerJoinRequest(PATRON)) is True
