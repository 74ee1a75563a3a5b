"""Contract: support conversations, their messages and the relayed copies' ids, and a user's
recent payment sessions, on every back end."""

from __future__ import annotations

from dataclasses import replace

import pytest
from contract_samples import Database, at, session, state

from starport.application.unit_of_work import Conflict
from starport.domain.support import Direction, SupportConversation, SupportMessage

ANN, BOB, SUPPORT_CHAT = 7_000_000_001, 7_000_000_002, -1_001_234_567_890


def conversation(conversation_id: str, telegram_user_id: int, minutes: float
                 ) -> SupportConversation:
    return SupportConversation.open(conversation_id, telegram_user_id, "Ann", "ann", at(minutes))


def message(message_id: str, conversation_id: str, minutes: float,
            direction: Direction = Direction.IN) -> SupportMessage:
    return SupportMessage(message_id, conversation_id, direction, ANN, "Ann",
                          f"text of {message_id}", at(minutes))


async def test_a_conversation_round_trips_and_is_found_as_the_users_latest(db: Database) -> None:
    first, later = conversation("c1", ANN, 1), conversation("c2", ANN, 5)
    later.language = "pt-br"  # the user's language_code: what agents' answers are sent in
    first.close(at(3))
    async with db() as uow:
        for c in (first, later, conversation("c3", BOB, 9)):
            await uow.support.add(c)
        await uow.commit()
    later.touch(at(7))
    later.close(at(8))
    async with db() as uow:
        await uow.support.save(later)
        await uow.commit()
    async with db() as uow:
        latest = await uow.support.latest_of(ANN)
        loaded = await uow.support.get("c1")
        assert await uow.support.latest_of(42) is None
        assert await uow.support.get("nope") is None
    assert latest is not None and state(latest) == state(later)
    assert loaded is not None and state(loaded) == state(first)
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.support.add(conversation("c1", BOB, 10))
            await uow.commit()


async def test_conversations_page_newest_first_after_a_cursor(db: Database) -> None:
    async with db() as uow:
        for i, minutes in enumerate((1, 3, 3, 2, 5)):
            await uow.support.add(conversation(f"c{i}", ANN + i, minutes))
        await uow.commit()
    async with db() as uow:
        first = await uow.support.page(2, None)
        second = await uow.support.page(2, first[-1])
        last = await uow.support.page(2, second[-1])
    assert [c.id for c in (*first, *second, *last)] == ["c4", "c2", "c1", "c3", "c0"]


async def test_messages_keep_their_order_and_the_relayed_copy_finds_its_message(
        db: Database) -> None:
    async with db() as uow:
        await uow.support.add(conversation("c1", ANN, 0))
        await uow.support.add(conversation("c2", BOB, 0))
        await uow.support.add_message(message("m2", "c1", 2, Direction.OUT))
        await uow.support.add_message(message("m1", "c1", 1))
        await uow.support.add_message(message("m3", "c2", 1))
        await uow.commit()
    async with db() as uow:
        await uow.support.note_relayed("m1", SUPPORT_CHAT, 41)
        await uow.support.note_relayed("m3", SUPPORT_CHAT - 1, 41)  # another chat, same id
        await uow.commit()
    async with db() as uow:
        found = await uow.support.relayed_as(SUPPORT_CHAT, 41)
        assert await uow.support.relayed_as(SUPPORT_CHAT, 42) is None
        listed = await uow.support.messages("c1")
    relayed = replace(message("m1", "c1", 1), support_chat_id=SUPPORT_CHAT,
                      support_message_id=41)
    assert found == relayed
    assert listed == [relayed, message("m2", "c1", 2, Direction.OUT)]


async def test_recent_sessions_of_a_telegram_account_and_its_user(db: Database) -> None:
    paid_in_bot = session("s1", user_id=str(ANN))
    paid_in_bot.telegram_user_id = ANN
    for_the_user, someone_else = session("s2", user_id="alice"), session("s3", user_id="bob")
    paid_in_bot.created_at, for_the_user.created_at = at(1), at(2)
    async with db() as uow:
        for s in (paid_in_bot, for_the_user, someone_else):
            await uow.sessions.add(s)
        await uow.commit()
    async with db(read_only=True) as uow:  # type: ignore[call-arg]
        both = await uow.sessions.recent_of(ANN, "alice", 5)
        one = await uow.sessions.recent_of(ANN, "alice", 1)
    assert [s.id for s in both] == ["s2", "s1"]
    assert [s.id for s in one] == ["s2"]
