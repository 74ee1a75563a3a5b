"""The job lock port: one instance at a time runs a given job, without waiting for it."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class JobLock(Protocol):
    """`async with lock.hold(name) as acquired:` runs the block holding the job's lock when
    `acquired` is True; False means another instance holds it now (the caller skips the run).
    Never blocks, and a lock held by a process that dies is released with it."""

    def hold(self, name: str) -> AbstractAsyncContextManager[bool]: ...
