"""Paid-channel perks: patrons and their entitlement, memberships, invites, the join bonus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from starport.domain import ledger
from starport.domain.errors import InvalidTransition, NotAPatron
from starport.domain.perks import (
    Invite,
    InviteStatus,
    Membership,
    MemberStatus,
    Patron,
    PatronSource,
    require_patron,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def patron(until: datetime | None = None) -> Patron:
    return Patron(telegram_user_id=555, user_id="u555", source=PatronSource.ADMIN, since=NOW,
                  until=until)


def invite() -> Invite:
    return Invite(id="i1", telegram_user_id=555, link="https://t.me/+abc", created_at=NOW,
                  expires_at=NOW + DAY)


class TestMembership:
    @pytest.mark.parametrize("status", [MemberStatus.MEMBER, MemberStatus.ADMINISTRATOR,
                                        MemberStatus.CREATOR, MemberStatus.RESTRICTED])
    def test_joining_is_an_event(self, status: MemberStatus) -> None:
        membership = Membership(555)
        membership.observe(status, NOW)
        assert membership.status is status
        assert membership.checked_at == NOW
        assert membership.status.in_channel

    @pytest.mark.parametrize("status", [MemberStatus.LEFT, MemberStatus.KICKED])
    def test_leaving_puts_the_user_outside(self, status: MemberStatus) -> None:
        membership = Membership(555, MemberStatus.MEMBER)
        membership.observe(status, NOW)
        assert not membership.status.in_channel

    def test_every_check_is_recorded(self) -> None:
        membership = Membership(555, MemberStatus.MEMBER)
        membership.observe(MemberStatus.ADMINISTRATOR, NOW)
        membership.observe(MemberStatus.MEMBER, NOW + DAY)
        assert (membership.status, membership.checked_at) == (MemberStatus.MEMBER, NOW + DAY)

    def test_unknown_and_left_statuses_are_outside_the_channel(self) -> None:
        outside = {s for s in MemberStatus if not s.in_channel}
        assert outside == {MemberStatus.LEFT, MemberStatus.KICKED, MemberStatus.UNKNOWN}


class TestInvite:
    def test_a_new_invite_is_usable_until_it_expires(self) -> None:
        i = invite()
        assert i.member_limit == 1
        assert i.usable_at(NOW)
        assert i.usable_at(NOW + DAY - timedelta(seconds=1))
        assert not i.usable_at(NOW + DAY)

    def test_an_invite_is_single_use(self) -> None:
        i = invite()
        i.mark_used()
        assert i.status is InviteStatus.USED
        assert not i.usable_at(NOW)
        assert i.revoke() is False  # nothing left to revoke
        assert i.status is InviteStatus.USED

    def test_a_revoked_invite_is_unusable_and_stays_revoked(self) -> None:
        i = invite()
        assert i.revoke() is True
        assert not i.usable_at(NOW)
        assert i.revoke() is False
        i.mark_used()  # a late join through the revoked link does not un-revoke it
        assert i.status is InviteStatus.REVOKED


class TestPatron:
    def test_a_patron_without_an_end_date_is_entitled_until_ended(self) -> None:
        p = patron()
        assert p.entitled_at(NOW + 1000 * DAY)
        assert p.end(NOW + DAY) is True
        assert not p.entitled_at(NOW + DAY)
        assert p.until == NOW + DAY

    def test_entitlement_ends_at_the_until_date(self) -> None:
        p = patron(until=NOW + DAY)
        assert p.entitled_at(NOW + DAY - timedelta(seconds=1))
        assert not p.entitled_at(NOW + DAY)

    def test_ending_twice_ends_it_once(self) -> None:
        p = patron()
        assert p.end(NOW) is True
        assert p.end(NOW + DAY) is False
        assert p.until == NOW

    def test_a_renewal_extends(self) -> None:
        p = patron(until=NOW + DAY)
        p.renew(NOW + 30 * DAY, NOW)
        assert p.until == NOW + 30 * DAY

    def test_a_renewal_never_shortens(self) -> None:
        p = patron(until=NOW + 30 * DAY)
        p.renew(NOW + DAY, NOW)
        assert p.until == NOW + 30 * DAY

    def test_a_renewal_without_end_makes_it_open_ended(self) -> None:
        p = patron(until=NOW + DAY)
        p.renew(None, NOW)
        assert p.until is None

    def test_an_open_ended_patronage_stays_open_ended_when_renewed_with_a_date(self) -> None:
        p = patron()
        p.renew(NOW + DAY, NOW)
        assert p.until is None

    def test_a_renewal_restores_an_ended_patronage(self) -> None:
        p = patron()
        p.end(NOW)
        p.renew(NOW + 30 * DAY, NOW + DAY, charge_id="sub-2")
        assert p.active
        assert p.entitled_at(NOW + 2 * DAY)
        assert p.until == NOW + 30 * DAY
        assert p.subscription_charge_id == "sub-2"

    def test_a_renewal_keeps_the_last_subscription_charge_when_none_is_given(self) -> None:
        p = patron()
        p.renew(None, NOW, charge_id="sub-1")
        p.renew(None, NOW)
        assert p.subscription_charge_id == "sub-1"

    def test_a_renewal_must_end_in_the_future(self) -> None:
        p = patron(until=NOW + DAY)
        with pytest.raises(InvalidTransition):
            p.renew(NOW, NOW)
        assert p.until == NOW + DAY

    def test_require_patron_refuses_strangers_and_lapsed_patrons(self) -> None:
        assert require_patron(patron(), 555, NOW).user_id == "u555"
        with pytest.raises(NotAPatron):
            require_patron(None, 555, NOW)
        with pytest.raises(NotAPatron):
            require_patron(patron(until=NOW), 555, NOW)


def test_the_join_bonus_key_is_one_per_telegram_user() -> None:
    assert ledger.join_bonus_key(555) == "join-bonus:555"
    assert ledger.join_bonus_key(555) != ledger.join_bonus_key(556)
