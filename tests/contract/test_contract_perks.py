"""Contract: patrons, memberships, invites and the once-per-user join bonus."""

from __future__ import annotations

import pytest
from contract_samples import T0, Database, at, state

from starport.application.unit_of_work import Conflict
from starport.domain.perks import (
    Invite,
    InviteStatus,
    JoinBonus,
    Membership,
    MemberStatus,
    Patron,
    PatronSource,
)
from starport.domain.providers import Provider

TG = 7_000_000_123  # beyond 32 bits, as Telegram ids are


async def test_patrons_round_trip_and_page_by_telegram_id(db: Database) -> None:
    full = Patron(TG, "u1", PatronSource.SUBSCRIPTION, since=T0, until=at(60), active=False,
                  subscription_charge_id="sub-1", subscription_provider=Provider.TELEGRAM_STARS)
    async with db() as uow:
        others = (Patron(3, "u3", PatronSource.ADMIN, T0), Patron(2, "u2", PatronSource.HOST_APP,
                                                                 T0))
        for p in (full, *others):
            await uow.patrons.add(p)
        await uow.commit()
    async with db() as uow:
        loaded = await uow.patrons.get(TG)
        assert loaded is not None and state(loaded) == state(full)
        assert await uow.patrons.get(404) is None
        assert [p.telegram_user_id for p in await uow.patrons.page(None, 2)] == [2, 3]
        assert [p.telegram_user_id for p in await uow.patrons.page(3, 10)] == [TG]


async def test_a_patron_is_added_once_and_saved_after_renewal(db: Database) -> None:
    async with db() as uow:
        await uow.patrons.add(Patron(1, "u1", PatronSource.ADMIN, T0, until=at(10)))
        await uow.commit()
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.patrons.add(Patron(1, "u9", PatronSource.ADMIN, T0))
            await uow.commit()
    async with db() as uow:
        patron = await uow.patrons.get(1)
        assert patron is not None
        patron.renew(at(100), T0, charge_id="c2")
        await uow.patrons.save(patron)
        await uow.commit()
    async with db() as uow:
        again = await uow.patrons.get(1)
    assert again is not None and (again.until, again.subscription_charge_id) == (at(100), "c2")


async def test_memberships_are_saved_new_or_changed(db: Database) -> None:
    async with db() as uow:
        assert await uow.memberships.get(TG) is None
        await uow.memberships.save(Membership(TG, MemberStatus.MEMBER, at(1)))
        await uow.commit()
    async with db() as uow:
        m = await uow.memberships.get(TG)
        assert m is not None and state(m) == state(Membership(TG, MemberStatus.MEMBER, at(1)))
        m.observe(MemberStatus.LEFT, at(2))
        await uow.memberships.save(m)
        await uow.commit()
    async with db() as uow:
        m = await uow.memberships.get(TG)
    assert m is not None and (m.status, m.checked_at) == (MemberStatus.LEFT, at(2))


async def test_invites_by_link_and_by_user_oldest_first(db: Database) -> None:
    older = Invite("i1", TG, "https://t.me/+a", created_at=T0, expires_at=at(60))
    newer = Invite("i2", TG, "https://t.me/+b", created_at=at(5), expires_at=at(65),
                   member_limit=2, status=InviteStatus.REVOKED)
    async with db() as uow:
        await uow.invites.add(newer)
        await uow.invites.add(older)
        await uow.invites.add(Invite("i3", 5, "https://t.me/+c", T0, at(1)))
        await uow.commit()
    async with db() as uow:
        mine = await uow.invites.for_user(TG)
        assert [state(i) for i in mine] == [state(older), state(newer)]
        link = await uow.invites.by_link("https://t.me/+a")
        assert link is not None and link.id == "i1"
        assert await uow.invites.by_link("https://t.me/+zzz") is None
        link.mark_used()
        await uow.invites.save(link)
        await uow.commit()
    async with db() as uow:
        used = await uow.invites.by_link("https://t.me/+a")
    assert used is not None and used.status is InviteStatus.USED


async def test_the_join_bonus_is_granted_once_per_telegram_user(db: Database) -> None:
    bonus = JoinBonus(TG, "u1", 25, at(3))
    async with db() as uow:
        assert await uow.bonuses.get(TG) is None
        await uow.bonuses.add(bonus)
        await uow.commit()
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.bonuses.add(JoinBonus(TG, "u2", 99, at(4)))
            await uow.commit()
    async with db() as uow:
        assert await uow.bonuses.get(TG) == bonus
