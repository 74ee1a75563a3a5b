"""Support conversations: open until the user ends them or they go idle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starport.domain.support import SupportConversation

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
IDLE = timedelta(hours=24)


def conversation() -> SupportConversation:
    return SupportConversation.open("c1", 1001, "Ann", "ann", T0)


def test_a_message_either_way_keeps_it_open() -> None:
    # Given a conversation with a message 20 hours after it opened
    c = conversation()
    c.touch(T0 + timedelta(hours=20))
    # Then it is open 40 hours after opening, and not 44
    assert c.is_open(T0 + timedelta(hours=40), IDLE)
    assert not c.is_open(T0 + timedelta(hours=44), IDLE)


def test_a_late_touch_never_moves_the_last_message_back() -> None:
    c = conversation()
    c.touch(T0 + timedelta(hours=2))
    c.touch(T0 + timedelta(hours=1))  # a message handled late
    assert c.last_message_at == T0 + timedelta(hours=2)


def test_an_idle_conversation_ends_when_it_went_idle_once() -> None:
    # Given a conversation nobody wrote in for two days
    c = conversation()
    # When it is noticed
    first = c.expire_if_idle(T0 + timedelta(days=2), IDLE)
    again = c.expire_if_idle(T0 + timedelta(days=3), IDLE)
    # Then it closed as of when it went idle, once
    assert (first, again) == (True, False)
    assert c.closed_at == T0 + IDLE


def test_a_conversation_still_in_use_does_not_expire() -> None:
    c = conversation()
    assert not c.expire_if_idle(T0 + timedelta(hours=23), IDLE)
    assert c.closed_at is None


def test_closing_is_once() -> None:
    c = conversation()
    assert c.close(T0 + timedelta(minutes=5))
    assert not c.close(T0 + timedelta(minutes=9))
    assert c.closed_at == T0 + timedelta(minutes=5)
    assert not c.is_open(T0 + timedelta(minutes=6), IDLE)
