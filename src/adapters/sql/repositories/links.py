"""Telegram accounts linked to host users, and the one-time link tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import bindparam, delete, select, update

from starport.adapters.sql.fast_path import hot
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import link_tokens, telegram_links
from starport.domain.links import LinkedVia, LinkToken, TelegramLink

_GET = hot(select(telegram_links).where(telegram_links.c.telegram_user_id
                                        == bindparam("b_tg")))
_INSERT = hot(telegram_links.insert())


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

    async def add_if_absent(self, link: TelegramLink) -> bool:
        statement = self._gw.insert_or_ignore(telegram_links, returning="telegram_user_id")
        return (await self._gw.execute(statement, _values(link))).first() is not None

    async def put_if_absent(self, link: TelegramLink) -> None:
        await self._gw.write(self._gw.insert_or_ignore(telegram_links), _values(link))

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
