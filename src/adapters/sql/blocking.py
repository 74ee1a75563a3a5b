"""Run a coroutine to completion from sync code, even when this thread runs an event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, moved to a worker thread when a loop already runs here (a CLI inside an
    async app, a pytest fixture)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(coro))
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=target, name="starport-blocking")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return results[0]
