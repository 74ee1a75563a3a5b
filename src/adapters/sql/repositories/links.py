"""Telegram accounts linked to host users, and the one-time link tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql

from starport.adapters.sql.fast_path import hot
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.repositories.ledger import balance_of
from starport.adapters.sql.tables import link_tokens, telegram_links
from starport.domain.ledger import user_account
from starport.domain.links import LinkedVia, LinkToken, TelegramLink, telegram_only_user

_GET = hot(select(telegram_links).where(telegram_links.c.telegram_user_id
                                        == bindparam("b_tg")))
_INSERT = hot(telegram_links.insert())
# A link made on a payment, and what the Telegram account held on its own (the credits that now
# move): PostgreSQL, one statement (the insert a data-modifying WITH, the balance beside it);
# SQLite, the balance read after the insert (a call in this process, not a round trip).
_MADE = (postgresql.insert(telegram_links)
         .values(telegram_user_id=bindparam("b_tg"), user_id=bindparam("b_user"),
                 linked_at=bindparam("b_at"), via=bindparam("b_via"))
         .on_conflict_do_nothing().returning(telegram_links.c.telegram_user_id).cte("made"))
_MADE_AND_HELD = hot(select(
    select(func.count()).select_from(_MADE).scalar_subquery().label("made"),
    balance_of(bindparam("b_account")).label("held")))
_HELD = hot(select(balance_of(bindparam("b_account")).label("held")))


def _link(row: object) -> TelegramLink:
    r = dict(row)  # type: ignore[call-overload]
    return TelegramLink(r["telegram_user_id"], r["user_id"], r["linked_at"], LinkedVia(r["via"]))


def _values(link: TelegramLink) -> dict[str, object]:
    return {"telegram_user_id": link.telegram_user_id, "user_id": link.user_id,
            "linked_at": link.linked_at, "via": link.via.value}


class SqlLinks:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, telegram_user_id: int) -> TelegramLink | None:
        row = (await self._gw.execute(_GET, {"b_tg": telegram_user_id})).mappings().first()
        return _link(row) if row else None

    async def for_user(self, user_id: str) -> Sequence[TelegramLink]:
        t = telegram_links
        rows = (await self._gw.execute(select(t).where(t.c.user_id == user_id)
                                       .order_by(t.c.linked_at))).mappings().all()
        return [_link(r) for r in rows]

    async def add(self, link: TelegramLink) -> None:
        await self._gw.execute(_INSERT, _values(link))  # linked: Conflict

    async def add_if_absent(self, link: TelegramLink) -> int | None:
        # A write the read-only guard cannot see (a SELECT whose WITH clause inserts)
        assert not self._gw.read_only, "a link is made in a unit of work that writes"
        own = user_account(telegram_only_user(link.telegram_user_id))
        if self._gw.dialect == "postgresql":
            row = (await self._gw.execute(_MADE_AND_HELD, {
                "b_tg": link.telegram_user_id, "b_user": link.user_id, "b_at": link.linked_at,
                "b_via": link.via.value, "b_account": own})).first()
            assert row is not None  # the statement's one row
            return int(row[1]) if row[0] else None
        statement = self._gw.insert_or_ignore(telegram_links, returning="telegram_user_id")
        if (await self._gw.execute(statement, _values(link))).first() is None:
            return None
        held = (await self._gw.execute(_HELD, {"b_account": own})).first()
        assert held is not None  # the statement's one row
        return int(held[0])

    async def remove(self, telegram_user_id: int) -> None:
        t = telegram_links
        await self._gw.execute(delete(t).where(t.c.telegram_user_id == telegram_user_id))


class SqlLinkTokens:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, token: str) -> LinkToken | None:
        t = link_tokens
        row = (await self._gw.execute(select(t).where(t.c.token == token))).mappings().first()
        return LinkToken(**row) if row else None

    async def add(self, token: LinkToken) -> None:
        await self._gw.execute(link_tokens.insert(), asdict(token))

    async def save(self, token: LinkToken) -> None:
        t = link_tokens
        await self._gw.execute(update(t).where(t.c.token == token.token).values(
            used_by=token.used_by, used_at=token.used_at))
