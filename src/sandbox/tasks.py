"""What the sandboxes' background deliveries share."""

from __future__ import annotations

import asyncio


async def finished(tasks: set[asyncio.Task[None]]) -> None:
    """One step of draining `tasks`, a set its tasks leave by their done callbacks: wait for
    the running ones. A finished task leaves on the loop's next turn, and gathering finished
    tasks alone does not yield to it (Python 3.12+): a loop over them would spin forever."""
    running = [t for t in tasks if not t.done()]
    if running:
        await asyncio.gather(*running, return_exceptions=True)
    else:
        await asyncio.sleep(0)
