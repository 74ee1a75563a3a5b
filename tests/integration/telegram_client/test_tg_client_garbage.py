"""A Bot API call leaves nothing for the garbage collector: under load, its collections of
such leftovers (about 40 objects per call) stopped the server's event loop for 60-80 ms. (A
refused call's exception still holds its frame, as any raised exception does: refusals are
rare.)"""

from __future__ import annotations

import gc

from starport.adapters.telegram import BotApiClient


async def test_answered_calls_leave_no_reference_cycles(bot: BotApiClient) -> None:
    await bot.get_me()  # the connection is open before we count
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(10):
            await bot.get_me()
        gc.collect()
        left = sorted({type(o).__qualname__ for o in gc.garbage
                       if type(o).__module__.startswith(("httpx", "httpcore"))})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
