"""Contract: Telegram links (one user per Telegram account) and link tokens, on every back end."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pytest
from contract_samples import Database, at, record

from starport.application.unit_of_work import Conflict
from starport.domain import ledger
from starport.domain.links import LinkedVia, LinkToken, TelegramLink, telegram_only_user


async def test_a_telegram_account_is_linked_once_until_unlinked(db: Database) -> None:
    first = TelegramLink(7, "alice", at(1), LinkedVia.HOST_API)
    async with db() as uow:
        await uow.links.add(first)
        assert await uow.links.add_if_absent(
            TelegramLink(8, "alice", at(2), LinkedVia.PAYMENT)) == 0  # made; held nothing
        assert await uow.links.add_if_absent(
            TelegramLink(7, "bob", at(3), LinkedVia.PAYMENT)) is None  # linked already
        await uow.commit()
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.links.add(TelegramLink(7, "bob", at(4), LinkedVia.HOST_API))
            await uow.commit()
    async with db() as uow:
        assert await uow.links.get(7) == first
        assert [x.telegram_user_id for x in await uow.links.for_user("alice")] == [7, 8]
        await uow.links.remove(7)
        await uow.commit()
    async with db() as uow:
        assert await uow.links.get(7) is None
        assert await uow.links.add_if_absent(
            TelegramLink(7, "bob", at(5), LinkedVia.PAYMENT)) is not None
        await uow.commit()
    async with db() as uow:
        assert (await uow.links.get(7)).user_id == "bob"  # type: ignore[union-attr]


async def test_a_link_made_on_a_payment_brings_what_the_account_held_on_its_own(
        db: Database) -> None:
    # Given Telegram account 9, which bought 250 credits in the bot before any link
    entry = ledger.purchase(entry_id="e1", key="payment:1", user_id=telegram_only_user(9),
                            sales_account="sales:telegram_stars", credits=250,
                            session_id="s1", now=at(1))
    await record(db, entry)
    async with db() as uow:
        # When it is linked on a payment: the link, and the 250 it held
        assert await uow.links.add_if_absent(
            TelegramLink(9, "carol", at(2), LinkedVia.PAYMENT)) == 250
        # and again (linked already): nothing made, nothing read
        assert await uow.links.add_if_absent(
            TelegramLink(9, "dave", at(3), LinkedVia.PAYMENT)) is None
        await uow.commit()
    async with db() as uow:
        assert (await uow.links.get(9)).user_id == "carol"  # type: ignore[union-attr]


async def test_a_link_token_round_trips_and_keeps_who_used_it(db: Database) -> None:
    token = LinkToken("t" * 32, "alice", at(1), at(1) + timedelta(hours=1))
    async with db() as uow:
        await uow.link_tokens.add(token)
        await uow.commit()
    token.redeem(7, at(2))
    async with db() as uow:
        await uow.link_tokens.save(token)
        await uow.commit()
    async with db() as uow:
        loaded = await uow.link_tokens.get("t" * 32)
        assert await uow.link_tokens.get("u" * 32) is None
    assert loaded is not None and asdict(loaded) == asdict(token)
