"""The throttle: the global rate and each chat's pace; with a shared schedule, slots are taken
in blocks as large as the queue (one statement per block, not per call), and a schedule that
cannot be reached leaves this process pacing itself."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from starport.adapters.telegram.throttle import Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class SharedSchedule:
    """A schedule two throttles share: hands out stretches back to back, like SqlPace."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.next_at = 0.0
        self.spans: list[float] = []
        self.down = False

    async def reserve(self, span: float) -> float:
        await asyncio.sleep(0)  # a round trip: callers arriving meanwhile queue up
        if self.down:
            raise ConnectionError("the database is away")
        self.spans.append(span)
        begins = max(self.next_at, self.clock())
        self.next_at = begins + span
        return begins - self.clock()

    async def hold_off(self, seconds: float) -> None:
        self.next_at = max(self.next_at, self.clock() + seconds)


def test_alone_calls_are_spaced_by_the_rate_and_a_chat_by_its_interval() -> None:
    clock = FakeClock()
    throttle = Throttle(per_second=10, per_chat_interval=1.0, per_chat_burst=1, clock=clock)
    assert [round(throttle.reserve(), 3) for _ in range(3)] == [0.0, 0.1, 0.2]
    assert round(throttle.reserve(7), 3) == 0.3
    assert round(throttle.reserve(7), 3) == 1.0  # a second after the chat's last, not 0.4


async def test_two_throttles_on_one_schedule_share_its_rate() -> None:
    clock = FakeClock()
    schedule = SharedSchedule(clock)
    a = Throttle(per_second=20, per_chat_interval=0, clock=clock, shared=schedule)
    b = Throttle(per_second=20, per_chat_interval=0, clock=clock, shared=schedule)
    slots: list[float] = []

    async def record(throttle: Throttle) -> None:
        slots.append(await throttle._shared_slot())

    await asyncio.gather(*(record(a) for _ in range(10)), *(record(b) for _ in range(10)))
    # Twenty calls, twenty distinct slots 1/20 s apart between the two throttles: one second
    assert sorted(round(s - 100.0, 3) for s in slots) == [round(n / 20, 3) for n in range(20)]
    # in blocks as large as the queue (at most a quarter second's worth), not one per call
    assert round(sum(schedule.spans), 3) == 1.0
    assert len(schedule.spans) < 20
    assert max(schedule.spans) <= 0.25


async def test_a_shared_schedule_that_is_away_leaves_the_process_pacing_itself(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    schedule = SharedSchedule(clock)
    schedule.down = True
    throttle = Throttle(per_second=10, per_chat_interval=0, clock=clock, shared=schedule)
    with caplog.at_level(logging.WARNING):
        slots = [await throttle._shared_slot() for _ in range(3)]
    assert [round(s - 100.0, 3) for s in slots] == [0.0, 0.2, 0.4]  # at ALONE_SHARE of 10/s
    assert len([r for r in caplog.records if "shared schedule" in r.getMessage()]) == 1
    schedule.down = False
    clock.now = 200.0
    assert await throttle._shared_slot() == 200.0
    assert schedule.spans == [0.1]


async def test_a_slot_that_went_by_unused_is_not_used_late() -> None:
    clock = FakeClock()
    schedule = SharedSchedule(clock)
    throttle = Throttle(per_second=10, per_chat_interval=0, clock=clock, shared=schedule)

    async def take() -> float:
        return await throttle._shared_slot()

    first, second = await asyncio.gather(take(), take())  # one block for the first, one more
    assert (first, second) == (100.0, 100.1)
    clock.now = 150.0
    assert await take() == 150.0  # a fresh slot from the schedule, not one from the past


async def test_a_429_holds_every_call_off_for_telegrams_wait() -> None:
    clock = FakeClock()
    alone = Throttle(per_second=10, per_chat_interval=0, clock=clock)
    await alone.hold_off(5.0)
    assert round(alone.reserve(), 3) == 5.0  # nothing before the wait is over
    # shared: the other process's next slot is held off too
    schedule = SharedSchedule(clock)
    a = Throttle(per_second=10, per_chat_interval=0, clock=clock, shared=schedule)
    b = Throttle(per_second=10, per_chat_interval=0, clock=clock, shared=schedule)
    await a.hold_off(3.0)
    assert await b._shared_slot() >= 103.0


async def test_alone_a_throttle_paces_itself_at_a_share_of_the_rate() -> None:
    clock = FakeClock()
    schedule = SharedSchedule(clock)
    schedule.down = True
    throttle = Throttle(per_second=10, per_chat_interval=0, clock=clock, shared=schedule)
    slots = [await throttle._shared_slot() for _ in range(3)]
    assert [round(s - 100.0, 3) for s in slots] == [0.0, 0.2, 0.4]  # half of 10/s


async def test_at_a_high_rate_one_take_serves_a_stretch_of_calls() -> None:
    clock = FakeClock()
    schedule = SharedSchedule(clock)
    throttle = Throttle(per_second=1000, per_chat_interval=0, clock=clock, shared=schedule)
    slots, asked = [], []
    for _ in range(100):  # one call every 2 ms, one at a time, for 0.2 s
        asked.append(clock.now)
        slots.append(await throttle._shared_slot())
        clock.now += 0.002
    # each take covers BLOCK_SPAN (50 slots), not the one waiting call: 4 statements, not 100
    assert schedule.spans == [0.05] * 4
    # every call has a slot of its own at its time, at most one interval old (the slots that
    # went by meanwhile are dropped, not used later), and they stay the rate's interval apart
    assert all(at - 0.001 - 1e-9 <= slot <= at for at, slot in zip(asked, slots, strict=True))
    assert all(b - a >= 0.001 - 1e-9 for a, b in itertools.pairwise(slots))


async def test_a_busy_process_waits_for_the_stretch_another_took() -> None:
    clock = FakeClock()
    schedule = SharedSchedule(clock)
    a = Throttle(per_second=1000, per_chat_interval=0, clock=clock, shared=schedule)
    b = Throttle(per_second=1000, per_chat_interval=0, clock=clock, shared=schedule)
    assert await a._shared_slot() == 100.0
    assert round(await b._shared_slot() - 100.0, 3) == 0.05  # after a's stretch, not inside it
    assert round(await a._shared_slot() - 100.0, 3) == 0.001  # a goes on in its own
