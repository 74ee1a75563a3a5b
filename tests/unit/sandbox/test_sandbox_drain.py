"""Draining the sandboxes' background deliveries ends even when the set still holds a task
that has finished (it leaves by its done callback, on the loop's next turn): gathering only
finished tasks does not yield on Python 3.12+, and a loop over them spun forever."""

from __future__ import annotations

import asyncio

from starport.sandbox.tasks import finished


async def test_a_finished_task_still_in_the_set_is_let_go() -> None:
    tasks: set[asyncio.Task[None]] = set()
    task = asyncio.create_task(asyncio.sleep(0))
    await task
    tasks.add(task)
    task.add_done_callback(tasks.discard)  # runs on the loop's next turn
    async with asyncio.timeout(5):
        while tasks:
            await finished(tasks)
    assert not tasks


async def test_running_tasks_are_waited_for() -> None:
    tasks: set[asyncio.Task[None]] = set()
    done: list[int] = []

    async def work(n: int) -> None:
        await asyncio.sleep(0.01 * n)
        done.append(n)

    for n in (3, 1, 2):
        task = asyncio.create_task(work(n))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await finished(tasks)
    assert sorted(done) == [1, 2, 3]
