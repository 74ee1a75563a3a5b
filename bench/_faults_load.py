"""Webhook deliveries for the fault suite, in the suite's own process, with a record of every
attempt: which update got a 2xx, which did not (refused, broken, no answer in time), when.

A payment is delivered as Telegram would: its `pre_checkout_query`, and only once that was
answered yes (in the response body, or the server said `pre_checkout_ok`) its
`successful_payment`: from then on Telegram has taken the Stars. Each update may go out as
several copies at once, each on a connection of its own (the duplicate storm). A redelivery
pass sends again, one copy each, what never got a 2xx: a pre-checkout never answered, a
successful_payment never acknowledged (Telegram redelivers an update until it gets a 2xx).

The HTTP client is bench._load's (request bytes built beforehand, one request at a time per
keep-alive connection); here a connection is opened when needed and dropped after any failure,
and every request has a deadline."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench._load import Connection, ProtocolError, _connect, _pre_checkout_answer


@dataclass(frozen=True)
class Attempt:
    status: int  # 0: no answer (connection refused or broken, or past the deadline)
    started: float  # time.time()
    seconds: float
    body: bytes  # its start

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Pay:
    """One payment: its updates as request bytes (the first of each list is the update; the
    others are the copies sent with it in a first pass) and every attempt at each."""

    n: int
    pre: list[bytes]
    pay: list[bytes]
    pre_tries: list[Attempt] = field(default_factory=list)
    pay_tries: list[Attempt] = field(default_factory=list)

    @property
    def pre_acked(self) -> bool:
        return any(a.ok for a in self.pre_tries)

    @property
    def approved(self) -> bool:
        """Telegram may take the Stars: a pre-checkout was answered yes."""
        return any(a.ok and _pre_checkout_answer(a.body) != "other" for a in self.pre_tries)

    @property
    def paid(self) -> bool:
        """The Stars were taken: the successful_payment went out at least once."""
        return bool(self.pay_tries)

    @property
    def pay_acked(self) -> bool:
        return any(a.ok for a in self.pay_tries)

    @property
    def pending(self) -> bool:
        """Telegram would deliver something of it again."""
        return not self.pre_acked or (self.approved and not self.pay_acked)


class Client:
    """A keep-alive connection, opened when needed, dropped after any failure."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn: Connection | None = None

    async def send(self, request: bytes) -> Attempt:
        wall, started = time.time(), time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                if self.conn is None or self.conn.transport is None:
                    self.conn = await _connect(self.port)
                status, body = await self.conn.send(request)
        except (OSError, ConnectionError, ProtocolError, TimeoutError) as exc:
            status, body = 0, f"{type(exc).__name__}: {exc}".encode()
            self.close()
        return Attempt(status, wall, time.perf_counter() - started, body[:400])

    def close(self) -> None:
        if self.conn is not None and self.conn.transport is not None:
            self.conn.transport.abort()
        self.conn = None


async def deliver(port: int, payments: Sequence[Pay], *, concurrency: int,
                  pace: float | None = None, timeout: float = 15.0,
                  first_pass: bool = True, after: Callable[[Pay], None] | None = None
                  ) -> None:
    """Each payment's pending updates, by `concurrency` payers (each with as many connections
    as the payment has copies in a first pass); with `pace`, payment k starts no sooner than
    k / pace seconds after the first; `after(payment)` once each payment is through."""
    pending = iter(payments)
    slots = itertools.count()
    width = max((len(p.pre) for p in payments), default=1) if first_pass else 1
    begun = time.monotonic()

    async def copies(clients: list[Client], requests: list[bytes]) -> list[Attempt]:
        return list(await asyncio.gather(*(c.send(r) for c, r in zip(clients, requests,
                                                                     strict=False))))

    async def payer() -> None:
        clients = [Client(port, timeout) for _ in range(width)]
        try:
            for p in pending:
                if pace:
                    await asyncio.sleep(max(0.0, begun + next(slots) / pace - time.monotonic()))
                if not p.pre_acked:
                    p.pre_tries += await copies(clients, p.pre if first_pass else p.pre[:1])
                if p.approved and not p.pay_acked:
                    p.pay_tries += await copies(clients, p.pay if first_pass else p.pay[:1])
                if after is not None:
                    after(p)
        finally:
            for client in clients:
                client.close()

    await asyncio.gather(*(payer() for _ in range(concurrency)))


async def redeliver(port: int, payments: Sequence[Pay], *, concurrency: int, until: float,
                    timeout: float = 15.0) -> int:
    """Rounds of delivering again what never got a 2xx, half a second apart, until nothing is
    pending or time.monotonic() passes `until`. Returns the updates sent again."""
    sent = 0
    while time.monotonic() < until:
        todo = [p for p in payments if p.pending]
        if not todo:
            break
        before = sum(len(p.pre_tries) + len(p.pay_tries) for p in todo)
        await deliver(port, todo, concurrency=concurrency, first_pass=False,
                      timeout=min(timeout, max(1.0, until - time.monotonic())))
        sent += sum(len(p.pre_tries) + len(p.pay_tries) for p in todo) - before
        if any(p.pending for p in todo):
            await asyncio.sleep(0.5)
    return sent


def latencies(attempts: Sequence[Attempt]) -> list[float]:
    return sorted(a.seconds for a in attempts)


def percentile(sorted_seconds: list[float], p: float) -> float:
    """Nearest rank, in seconds; NaN without any."""
    if not sorted_seconds:
        return float("nan")
    index = min(len(sorted_seconds) - 1, max(0, round(p / 100 * len(sorted_seconds)) - 1))
    return sorted_seconds[index]
