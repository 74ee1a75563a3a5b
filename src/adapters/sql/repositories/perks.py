"""Channel perks: patrons (locked on load), memberships, invites, the once-ever join bonus."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from starport.adapters.sql import mappers as m
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import invites, join_bonuses, memberships, patrons
from starport.domain.perks import Invite, JoinBonus, Membership, Patron


class SqlPatrons:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, telegram_user_id: int) -> Patron | None:
        # Locked: renewals and endings of one patronage are applied one after the other.
        query = select(patrons).where(patrons.c.telegram_user_id == telegram_user_id)
        found = await self._load(query if self._gw.read_only else query.with_for_update())
        return found[0] if found else None

    async def add(self, patron: Patron) -> None:
        await self._gw.execute(patrons.insert().values(m.patron_values(patron)))
        self._gw.keep("patron", patron.telegram_user_id, patron)

    async def save(self, patron: Patron) -> None:
        await self._gw.upsert(patrons, m.patron_values(patron), ["telegram_user_id"])
        self._gw.keep("patron", patron.telegram_user_id, patron)

    async def page(self, after_telegram_id: int | None, limit: int) -> Sequence[Patron]:
        query = select(patrons)
        if after_telegram_id is not None:
            query = query.where(patrons.c.telegram_user_id > after_telegram_id)
        return await self._load(query.order_by(patrons.c.telegram_user_id).limit(limit))

    async def _load(self, query: Any) -> list[Patron]:
        rows = (await self._gw.execute(query)).mappings().all()
        return [self._gw.adopt("patron", r["telegram_user_id"], m.patron_from(r)) for r in rows]


class SqlMemberships:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, telegram_user_id: int) -> Membership | None:
        row = (await self._gw.execute(select(memberships).where(
            memberships.c.telegram_user_id == telegram_user_id))).mappings().first()
        if row is None:
            return None
        found: Membership = self._gw.adopt("membership", telegram_user_id, m.membership_from(row))
        return found

    async def save(self, membership: Membership) -> None:
        # The last observation wins; an upsert, so two first observations cannot collide.
        await self._gw.upsert(memberships, m.membership_values(membership), ["telegram_user_id"])
        self._gw.keep("membership", membership.telegram_user_id, membership)


class SqlInvites:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def add(self, invite: Invite) -> None:
        await self._gw.execute(invites.insert().values(m.invite_values(invite)))
        self._gw.keep("invite", invite.link, invite)

    async def save(self, invite: Invite) -> None:
        values = m.invite_values(invite)
        result = await self._gw.execute(
            update(invites).where(invites.c.link == invite.link).values(values))
        if result.rowcount == 0:
            await self._gw.execute(invites.insert().values(values))
        self._gw.keep("invite", invite.link, invite)

    async def for_user(self, telegram_user_id: int) -> Sequence[Invite]:
        return await self._load(select(invites).where(
            invites.c.telegram_user_id == telegram_user_id)
            .order_by(invites.c.created_at, invites.c.id))

    async def by_link(self, link: str) -> Invite | None:
        found = await self._load(select(invites).where(invites.c.link == link))
        return found[0] if found else None

    async def _load(self, query: Any) -> list[Invite]:
        rows = (await self._gw.execute(query)).mappings().all()
        return [self._gw.adopt("invite", r["link"], m.invite_from(r)) for r in rows]


class SqlBonuses:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, telegram_user_id: int) -> JoinBonus | None:
        row = (await self._gw.execute(select(join_bonuses).where(
            join_bonuses.c.telegram_user_id == telegram_user_id))).mappings().first()
        return m.bonus_from(row) if row else None

    async def add(self, bonus: JoinBonus) -> None:
        await self._gw.execute(join_bonuses.insert().values(m.bonus_values(bonus)))  # once ever
