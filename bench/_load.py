"""The load generator: whole payments from C payers, each on its own keep-alive connection.

Runs in a process of its own (`run_load` starts it; it reads its `Job` as a pickle on stdin and
writes its `LoadResult` as a pickle on stdout) on uvloop, with a minimal HTTP/1.1 client: an
asyncio.Protocol that writes request bytes built beforehand and parses only the status line,
Content-Length and the body. A payer takes the next payment not taken yet, sends its
pre-checkout, and after the answer its successful_payment; then the next payment. The clock
runs from the first send (all connections are open, and each has carried one request) to the
last answer; the bodies are looked at only after the clock has stopped."""

from __future__ import annotations

import asyncio
import json
import pickle
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

Payment = tuple[bytes, bytes]  # the pre_checkout_query request, the successful_payment request


@dataclass
class Job:
    port: int
    payments: list[Payment]
    concurrency: int
    timeout: float  # seconds for the whole run; what is not answered by then is an error


@dataclass
class LoadResult:
    wall: float = 0.0  # seconds, first send to last answer
    started_at: float = 0.0  # Unix time of the first send (comparable with the stand-in's)
    cpu: float = 0.0  # CPU seconds the load process used over that time
    pre_latencies: list[float] = field(default_factory=list)  # seconds, sorted
    opening_pre: list[float] = field(default_factory=list)  # seconds, sorted: the pre-checkouts
    # sent at the first instant, one per payer (the opening burst)
    pay_latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)  # "pre 200", "pay 503", "pay none"
    pre_answers: Counter[str] = field(default_factory=Counter)  # in_body | outcome_ok | other
    pay_outcomes: Counter[str] = field(default_factory=Counter)  # the body's "outcome", if any
    paid: list[int] = field(default_factory=list)  # indices in Job.payments: paid ones (their
    # pre-checkout answered 2xx, their successful_payment sent)
    errors: int = 0  # non-2xx answers, broken connections, requests never answered
    samples: list[str] = field(default_factory=list)  # a few of the failed answers
    timed_out: bool = False

    @property
    def rate(self) -> float:
        """Whole payments per second."""
        return len(self.paid) / self.wall if self.wall else 0.0

    @staticmethod
    def percentile(latencies: list[float], p: float) -> float:
        """In milliseconds (nearest rank); NaN without any."""
        if not latencies:
            return float("nan")
        index = min(len(latencies) - 1, max(0, round(p / 100 * len(latencies)) - 1))
        return latencies[index] * 1000


class ProtocolError(Exception):
    pass


class Connection(asyncio.Protocol):
    """One keep-alive connection, one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.status = 0
        self.body_at = -1
        self.end = -1  # where the answer being read ends in the buffer; -1: in its head

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._fail(ConnectionError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.end < 0:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(self.buffer[:head_end]).lower()
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                self._fail(ProtocolError(f"no Content-Length in {head[:200]!r}"))
                return
            line_end = head.find(b"\r\n", at + 2)
            self.status = int(head[9:12])
            self.body_at = head_end + 4
            self.end = self.body_at + int(head[at + 17:line_end if line_end > 0 else None])
        if len(self.buffer) >= self.end:
            body = bytes(self.buffer[self.body_at:self.end])
            del self.buffer[:self.end]
            self.end = -1
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result((self.status, body))

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    async def send(self, request: bytes) -> tuple[int, bytes]:
        if self.transport is None:
            raise ConnectionError("connection closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


WARM = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def _connect(port: int) -> Connection:
    _, protocol = await asyncio.get_running_loop().create_connection(
        Connection, "127.0.0.1", port)
    return protocol


async def _drive(job: Job) -> LoadResult:
    result = LoadResult()
    pre_bodies: list[bytes] = []
    pay_bodies: list[bytes] = []
    pending: Iterator[int] = iter(range(len(job.payments)))
    opening = True  # until the first pre-checkout is answered, every one sent is in the opening

    async def exchange(conn: Connection, kind: str, request: bytes, latencies: list[float],
                       bodies: list[bytes]) -> tuple[Connection, bool]:
        in_opening = kind == "pre" and opening  # sent before any was answered
        started = time.perf_counter()
        try:
            status, body = await conn.send(request)
        except (ConnectionError, ProtocolError, OSError) as exc:
            status, body = 0, str(exc).encode()
            conn = await _connect(job.port)  # the next request gets a new connection
        latencies.append(time.perf_counter() - started)
        if in_opening:
            result.opening_pre.append(latencies[-1])
        result.statuses[f"{kind} {status or 'none'}"] += 1
        bodies.append(body)
        ok = 200 <= status < 300
        if not ok:
            result.errors += 1
            if len(result.samples) < 5:
                result.samples.append(f"{kind} {status}: {body[:300]!r}")
        return conn, ok

    async def payer(conn: Connection) -> None:
        nonlocal opening
        for n in pending:
            pre, pay = job.payments[n]
            conn, ok = await exchange(conn, "pre", pre, result.pre_latencies, pre_bodies)
            opening = False
            if not ok:
                continue  # Telegram takes no money after a failed pre-checkout
            result.paid.append(n)
            conn, _ = await exchange(conn, "pay", pay, result.pay_latencies, pay_bodies)

    connections = await asyncio.gather(*(_connect(job.port) for _ in range(job.concurrency)))
    # Each connection carries one request before the clock starts, as a webhook's connections
    # (long-lived: Telegram keeps up to 40 open) have. Without it, Starport answered the first
    # requests of all C connections, sent in the same instant, one after another about 12 ms
    # apart (a pre-checkout p99 of about 200 ms in a 600-payment run at 32 payers, from those
    # 32 alone); so it did when the load waited 2 s after connecting. Every server gets it.
    for conn in connections:
        await conn.send(WARM)
    cpu, started = time.process_time(), time.perf_counter()
    result.started_at = time.time()
    try:
        await asyncio.wait_for(asyncio.gather(*(payer(c) for c in connections)), job.timeout)
    except TimeoutError:
        result.timed_out = True
    result.wall = time.perf_counter() - started
    result.cpu = time.process_time() - cpu
    for conn in connections:
        if conn.transport is not None:
            conn.transport.close()
    if result.timed_out:
        result.errors += len(job.payments) - len(pre_bodies) + len(result.paid) - len(pay_bodies)
    result.pre_latencies.sort()
    result.opening_pre.sort()
    result.pay_latencies.sort()
    for body in pre_bodies:
        result.pre_answers[_pre_checkout_answer(body)] += 1
    for body in pay_bodies:
        result.pay_outcomes[str(_json(body).get("outcome", "-"))] += 1
    return result


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _pre_checkout_answer(body: bytes) -> str:
    """in_body: the answer itself came back in the webhook response (Telegram takes it from
    there); outcome_ok: the server says it approved (it answered the Bot API itself)."""
    data = _json(body)
    if data.get("method") == "answerPreCheckoutQuery" and data.get("ok") is True:
        return "in_body"
    if data.get("ok") is True and data.get("outcome") == "pre_checkout_ok":
        return "outcome_ok"
    return "other"


def main() -> None:
    import uvloop

    job: Job = pickle.load(sys.stdin.buffer)
    result = uvloop.run(_drive(job))
    sys.stdout.buffer.write(pickle.dumps(result))


async def run_load(job: Job, env: dict[str, str]) -> LoadResult:
    """Run `job` in a new load process; killed if it outlives its timeout by much."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from bench._load import main; main()", env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(pickle.dumps(job)), job.timeout + 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"the load process failed ({proc.returncode}): {err.decode()[-2000:]}")
    loaded: LoadResult = pickle.loads(out)
    return loaded
