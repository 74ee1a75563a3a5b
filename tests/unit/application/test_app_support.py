"""Support that reaches a human, at the use cases: what is relayed, to whom an answer goes,
and that a delivery seen twice, a failed send or a long message change nothing they should."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.unit.conftest import MakeWorld, World

from starport.application import commands as c
from starport.application.deliveries import DuplicateDelivery
from starport.application.effects import OutboxStatus, RelayToSupport
from starport.domain.bot_messages import MAX_LENGTH
from starport.domain.support import Direction

ANN, BEA, SUPPORT = 1001, 2002, -100555


@pytest.fixture
def world(make_world: MakeWorld) -> World:
    return make_world(support_chat_id=SUPPORT)


async def ask(world: World, text: str, update_id: str | None = None) -> str:
    delivery = world.delivery(update_id) if update_id is not None else None
    outcome: str = await world.handle(c.WriteToSupport(ANN, ANN, text, "Ann", "ann",
                                                       delivery=delivery))
    return outcome


def relayed(world: World) -> list[tuple[int, str]]:
    return [(n, m.text) for n, m in enumerate(world.messenger.messages, 1)
            if m.chat_id == SUPPORT]


async def stored(world: World) -> list[tuple[Direction, str, int | None]]:
    async with world.deps.uow() as uow:
        conversation = await uow.support.latest_of(ANN)
        assert conversation is not None
        return [(m.direction, m.text, m.support_message_id)
                for m in await uow.support.messages(conversation.id)]


async def test_a_relayed_message_says_who_wrote_and_what_they_paid(world: World) -> None:
    # Given Ann, linked to alice by paying her session, opens a support conversation
    await world.buy("alice", telegram_user_id=ANN)
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    # When she writes
    outcome = await ask(world, "Where are my credits?")
    # Then the support chat reads who she is, her payment and her words
    [(_, text)] = relayed(world)
    session = world.sessions()[0]
    assert outcome == "support_relayed"
    assert text == ("Support request from Ann (@ann), Telegram 1001, user alice\n"
                    "Recent payments:\n"
                    f"2026-01-01 12:00 {session.id} · starter · 50 ⭐ · telegram_stars · paid"
                    "\n\nWhere are my credits?")


async def test_a_user_known_only_by_telegram_with_no_payments(world: World) -> None:
    await world.handle(c.OpenSupport(ANN, ANN, "", None))
    await world.handle(c.WriteToSupport(ANN, ANN, "Hi", "", None))
    [(_, text)] = relayed(world)
    assert text.startswith("Support request from (no name), Telegram 1001\n"
                           "Recent payments:\nnone\n\n")


async def test_a_delivery_seen_twice_is_relayed_once(world: World) -> None:
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    await ask(world, "Hello", "u-1")
    with pytest.raises(DuplicateDelivery):
        await ask(world, "Hello", "u-1")
    assert len(relayed(world)) == 1
    assert len(await stored(world)) == 1


async def test_the_answer_goes_to_the_user_whose_message_was_replied_to(world: World) -> None:
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    await ask(world, "Hello")
    [(relay_id, _)] = relayed(world)
    world.clock.advance(timedelta(minutes=1))
    outcome = await world.handle(c.AnswerFromSupport(SUPPORT, relay_id, BEA, "Bea", "Hi Ann"))
    assert outcome == "support_answered"
    assert world.texts_to(ANN)[-1] == "Support: Hi Ann"
    assert await stored(world) == [(Direction.IN, "Hello", relay_id),
                                   (Direction.OUT, "Hi Ann", None)]


async def test_an_answer_after_the_user_ended_the_conversation_still_reaches_them(
        world: World) -> None:
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    await ask(world, "Hello")
    await world.handle(c.CloseSupport(ANN, ANN, "Ann"))
    [(relay_id, _)] = relayed(world)
    outcome = await world.handle(c.AnswerFromSupport(SUPPORT, relay_id, BEA, "Bea", "Late, "
                                                     "but here"))
    assert outcome == "support_answered"
    assert world.texts_to(ANN)[-1] == "Support: Late, but here"


async def test_support_twice_keeps_one_conversation_and_done_ends_it(world: World) -> None:
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    async with world.deps.uow() as uow:
        first = await uow.support.page(10, None)
    await world.handle(c.CloseSupport(ANN, ANN, "Ann"))
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    async with world.deps.uow() as uow:
        after = await uow.support.page(10, None)
    assert len(first) == 1 and len(after) == 2
    assert after[1].closed_at is not None and after[0].closed_at is None


async def test_a_relay_that_fails_is_retried_and_then_found_by_the_reply(
        world: World) -> None:
    # Given Telegram fails the first relay
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    world.messenger.failures = 1
    await ask(world, "Hello")
    [item] = [i for i in world.outbox() if isinstance(i.effect, RelayToSupport)]
    assert item.status is OutboxStatus.PENDING and relayed(world) == []
    # When the dispatch job sends it again
    world.clock.advance(timedelta(minutes=5))
    await world.handle(c.DispatchOutbox(batch=10))
    # Then an agent's reply to it finds Ann
    [(relay_id, _)] = relayed(world)
    await world.handle(c.AnswerFromSupport(SUPPORT, relay_id, BEA, "Bea", "Hi"))
    assert world.texts_to(ANN)[-1] == "Support: Hi"


async def test_a_long_message_is_cut_to_what_telegram_takes(world: World) -> None:
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    await ask(world, "x" * MAX_LENGTH)
    [(_, text)] = relayed(world)
    assert len(text) == MAX_LENGTH and text.endswith("x…")
    assert (await stored(world))[0][1] == "x" * MAX_LENGTH  # kept whole


async def test_without_a_support_chat_nothing_is_stored(make_world: MakeWorld) -> None:
    world = make_world()
    outcome = await world.handle(c.WriteToSupport(ANN, ANN, "Hello", "Ann"))
    assert outcome == "ignored"
    assert world.outbox() == []


async def test_a_message_with_nothing_to_relay_is_answered_all_the_same(world: World) -> None:
    # A kind of message the edge does not name (a game, a story...): no text, no attachment
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann"))
    outcome = await ask(world, "")
    assert outcome == "support_text_only"
    assert relayed(world) == []
    assert world.texts_to(ANN)[-1].startswith("Only text reaches support")


async def test_the_answer_is_sent_in_the_language_the_user_opened_support_in(world: World
                                                                             ) -> None:
    await world.handle(c.UpdateBotMessage("support_answer", "Поддержка: {text}", None, "admin",
                                          language="ru"))
    await world.handle(c.OpenSupport(ANN, ANN, "Ann", "ann", language="ru-RU"))
    await ask(world, "Привет")
    [(relay_id, text)] = relayed(world)
    await world.handle(c.AnswerFromSupport(SUPPORT, relay_id, BEA, "Bea", "Здравствуйте"))

    assert world.texts_to(ANN)[-1] == "Поддержка: Здравствуйте"
    assert text.startswith("Support request from Ann")  # the agents read the default language
