"""The servers under the same load, each its own process: the bare endpoint and the guides'
bot (Starport is in `bench._starport`), behind one interface: start, prepare a run's payments
(outside the clock), read the database work, check the books."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterable
from pathlib import Path

from bench import _guides_bot
from bench._load import Payment
from bench._metrics import DbWork
from bench._procs import Proc, free_port, wait_tcp
from bench._updates import Updates, payer

CREDITS = 100  # the `starter` package


class BooksError(Exception):
    pass


class Server:
    """One server under test; `procs` are its processes (for the CPU they use)."""

    name = ""
    sends_confirmations = True  # one sendMessage per payment, to the stand-in
    answers_pre_checkout = True  # in the webhook response or by answerPreCheckoutQuery

    def __init__(self, stack: contextlib.AsyncExitStack, env: dict[str, str], tmp: Path,
                 standin: str, token: str, secret: str) -> None:
        self.stack, self.env, self.tmp = stack, env, tmp
        self.standin, self.token, self.secret = standin, token, secret
        self.port = free_port()
        self.procs: list[Proc] = []

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Proc:
        proc = Proc(name, args, env or self.env, self.tmp / f"{name}.log")
        self.stack.callback(proc.stop)
        self.procs.append(proc)
        return proc

    async def start(self) -> None:
        raise NotImplementedError

    async def prepare(self, first: int, count: int) -> list[Payment]:
        """The request bytes of payments first .. first+count-1, their sessions made."""
        raise NotImplementedError

    async def db_before(self) -> None:
        return None

    async def db_after(self) -> DbWork | None:
        return None

    async def books(self, first: int, count: int, paid: Iterable[int]) -> str:
        """'books: ok (...)'; raises BooksError unless exactly the paid ones were credited."""
        return "books: n/a"

    def cpu_seconds(self) -> float:
        return sum(p.cpu_seconds() for p in self.procs)


def check_books(credited: dict[int, int], paid: Iterable[int]) -> str:
    """Each paid payment's user has CREDITS, every other user none."""
    paid_set = set(paid)
    wrong = {n: c for n, c in credited.items() if c != (CREDITS if n in paid_set else 0)}
    total, expected = sum(credited.values()), CREDITS * len(paid_set)
    if wrong or total != expected:
        sample = ", ".join(f"payment {n}: {c}" for n, c in list(wrong.items())[:5])
        raise BooksError(f"books: FAILED ({len(paid_set)} payments should make {expected} "
                         f"credits, found {total}; {len(wrong)} users wrong: {sample})")
    return f"books: ok ({len(paid_set)} payments, {total} credits)"


class Bare(Server):
    name = "bare Starlette"
    sends_confirmations = False
    answers_pre_checkout = False

    async def start(self) -> None:
        proc = self.spawn("bare", [sys.executable, "-m", "bench._bare", "--port", str(self.port)])
        await wait_tcp(proc, self.port)
        self.updates = Updates(self.port, "/api/telegram/webhook", self.secret)

    async def prepare(self, first: int, count: int) -> list[Payment]:
        return self.updates.payments(first, [f"bench-{n}" for n in range(first, first + count)])


class Guides(Server):
    name = "guides (aiogram)"

    async def start(self) -> None:
        self.db = self.tmp / "guides.db"
        _guides_bot.prepare(str(self.db), [])
        proc = self.spawn("guides", [
            sys.executable, "-m", "bench._guides_bot", "--port", str(self.port),
            "--api", self.standin, "--db", str(self.db), "--token", self.token,
            "--secret", self.secret])
        await wait_tcp(proc, self.port)
        self.updates = Updates(self.port, _guides_bot.WEBHOOK_PATH, self.secret)

    async def prepare(self, first: int, count: int) -> list[Payment]:
        numbers = range(first, first + count)
        await asyncio.to_thread(_guides_bot.prepare, str(self.db), [payer(n) for n in numbers])
        return self.updates.payments(first, [f"starter:{n}" for n in numbers])

    async def books(self, first: int, count: int, paid: Iterable[int]) -> str:
        numbers = range(first, first + count)
        found = await asyncio.to_thread(_guides_bot.credits, str(self.db),
                                        [payer(n) for n in numbers])
        return check_books({n: found[payer(n)] for n in numbers}, paid)
