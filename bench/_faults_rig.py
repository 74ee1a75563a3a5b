"""The fault suite's processes and what it reads back from them.

- `StandIn`: bench._standin in its own process, with a control port (`/_mode?set=up|down|
  blackhole`, `/_chats`: the confirmations each chat got, and when).
- `FaultServer`: bench._starport's `starport serve` (same environment, same start, same books
  through the host API), which can also be killed with SIGKILL, its whole process group, and
  started again on the same database and port; optionally under an open-file limit.
- the books of a run: each payer's balance against what Telegram took, and the confirmations
  each buyer got.

Every process started is a session (process group) of its own; each is stopped with its
scenario's exit stack, and any group still alive is killed when the suite's process exits,
however it exits (`kill_leftovers`, registered with atexit)."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench._faults_load import Pay
from bench._procs import Proc, _group, free_port, wait_http, wait_tcp
from bench._servers import CREDITS
from bench._starport import PG_ADMIN, Starport, _each
from bench._updates import payer

STARTED: dict[int, Proc] = {}  # by process group id: everything started, until it is gone


def kill_leftovers() -> None:
    """SIGKILL to every group started whose processes are not all gone (as Proc.stop does);
    forget the ones that are."""
    for pgid, proc in list(STARTED.items()):
        if proc.popen.poll() is None or _group(pgid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(5)
        if proc.popen.poll() is not None and not _group(pgid):
            del STARTED[pgid]


atexit.register(kill_leftovers)


def _spawned(proc: Proc) -> Proc:
    STARTED[proc.pid] = proc
    return proc


# -- the stand-in Bot API ----------------------------------------------------------------------

@dataclass(frozen=True)
class Chat:
    confirmations: int
    others: int
    first: float  # Unix time of the first confirmation (0: none)
    last: float


class StandIn:
    def __init__(self, proc: Proc, port: int, control: int) -> None:
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"
        self.control = f"http://127.0.0.1:{control}"

    @classmethod
    async def start(cls, stack: contextlib.AsyncExitStack, env: dict[str, str],
                    tmp: Path) -> StandIn:
        port, control = free_port(), free_port()
        proc = _spawned(Proc("standin", [
            sys.executable, "-m", "bench._standin", "--port", str(port),
            "--control-port", str(control)], env, tmp / "standin.log"))
        stack.callback(proc.stop)
        await wait_tcp(proc, port)
        await wait_tcp(proc, control)
        return cls(proc, port, control)

    async def _get(self, path: str) -> Any:
        async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
            response = await client.get(f"{self.control}{path}")
        response.raise_for_status()
        return response.json()

    async def mode(self, mode: str) -> float:
        """Switch the Bot API port; returns the Unix time it was switched."""
        await self._get(f"/_mode?set={mode}")
        return time.time()

    async def chats(self) -> dict[int, Chat]:
        return {int(k): Chat(int(v[0]), int(v[1]), v[2], v[3])
                for k, v in (await self._get("/_chats")).items()}

    async def counts(self) -> Counter[str]:
        return Counter(await self._get("/_counts"))


# -- starport serve ----------------------------------------------------------------------------

_LIMIT = ("import os, resource, sys; "
          "resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), int(sys.argv[2]))); "
          "os.execv(sys.argv[3], sys.argv[3:])")


class FaultServer(Starport):
    """Starport as bench._starport starts it, plus kill -9 and a restart (same database, same
    port); `nofile` (soft, hard) starts `serve` under that open-file limit, `settings` are
    environment variables set for `serve` over bench._starport's."""

    def __init__(self, *args: Any, database: str, workers: int,
                 nofile: tuple[int, int] | None = None,
                 settings: dict[str, str] | None = None) -> None:
        super().__init__(*args, database=database, workers=workers)
        self.nofile = nofile
        self.settings = settings or {}
        self.serve_call: tuple[str, list[str], dict[str, str] | None] | None = None

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Proc:
        if "serve" in args:
            env = {**(env or self.env), **self.settings}
            self.serve_call = (name, list(args), env)
            if self.nofile is not None:
                args = [sys.executable, "-c", _LIMIT, *map(str, self.nofile), *args]
        return _spawned(super().spawn(name, args, env))

    @property
    def proc(self) -> Proc:
        return self.procs[-1]

    @property
    def database_url(self) -> str:
        assert self.serve_call is not None and self.serve_call[2] is not None
        return self.serve_call[2]["DATABASE_URL"]

    def kill9(self) -> float:
        """SIGKILL to the server's whole process group (its workers too); returns the Unix
        time it was sent, once every process of the group is gone."""
        proc = self.proc
        sent = time.time()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.popen.wait(10)
        deadline = time.monotonic() + 10
        while _group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        if _group(proc.pid):
            raise RuntimeError(f"processes of group {proc.pid} outlived SIGKILL")
        return sent

    async def restart(self) -> float:
        """`starport serve` again, as it was started; returns when it answers /healthz."""
        assert self.serve_call is not None
        name, args, env = self.serve_call
        proc = self.spawn(name, args, env)
        await wait_http(proc, f"{self.base_url}/healthz", times=3 * self.workers)
        return time.time()

    async def balances(self, numbers: Iterable[int]) -> dict[int, int]:
        async def balance(n: int) -> int:
            response = await self.http.get(f"/api/users/bench-{n}/balance")
            response.raise_for_status()
            return int(response.json()["balance"])

        return await _each(numbers, balance)

    async def outbox_counts(self) -> dict[str, int] | None:
        """The outbox's items by status (`pending(leased)` for those under a lease), read from
        the database; None if it cannot be read."""
        query = ("SELECT status, lease_until IS NOT NULL, count(*) FROM outbox "
                 "GROUP BY 1, 2 ORDER BY 1, 2")
        url = self.database_url
        try:
            if url.startswith("sqlite"):
                path = url.split(":///", 1)[1]

                def read() -> list[tuple[Any, ...]]:
                    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro",
                                                            uri=True, timeout=10)) as db:
                        return list(db.execute(query))

                rows = await asyncio.to_thread(read)
            else:
                import asyncpg  # type: ignore[import-untyped]

                conn = await asyncpg.connect(**{**PG_ADMIN, "database": url.rsplit("/", 1)[1]},
                                             timeout=10)
                try:
                    rows = [tuple(r) for r in await conn.fetch(query)]
                finally:
                    await conn.close()
        except Exception:
            return None
        return {f"{status}{'(leased)' if leased else ''}": int(count)
                for status, leased, count in rows}

    async def outbox(self) -> str:
        counts = await self.outbox_counts()
        if counts is None:
            return "n/a"
        return " ".join(f"{k}={v}" for k, v in counts.items()) or "empty"

    async def outbox_drained(self, until: float) -> bool:
        """Until no outbox item is pending, or time.time() passes `until` (False then)."""
        while True:
            counts = await self.outbox_counts()
            if counts is not None and not any(k.startswith("pending") for k in counts):
                return True
            if time.time() > until:
                return False
            await asyncio.sleep(0.5)

    def log_bytes(self) -> int:
        return sum(p.log.stat().st_size for p in self.procs if p.log.exists())

    def log_count(self, needle: str) -> int:
        """Lines of the server's log (every start) that contain `needle`."""
        seen = 0
        for log in {p.log for p in self.procs}:
            with contextlib.suppress(OSError), log.open(errors="replace") as lines:
                seen += sum(needle in line for line in lines)
        return seen


async def postgres_ready(seconds: float) -> bool:
    """PostgreSQL takes a connection within `seconds`."""
    import asyncpg

    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = await asyncpg.connect(**PG_ADMIN, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.2)
        else:
            await conn.close()
            return True


# -- the books -------------------------------------------------------------------------------

@dataclass
class Books:
    """Every payer of a run: what Telegram took against what Starport credited."""

    buyers: int = 0  # payments whose successful_payment went out (the Stars were taken)
    credited: int = 0  # of them, credited exactly once
    doubled: int = 0  # credited more than once
    lost: int = 0  # not credited
    stray: int = 0  # credited though never paid
    odd: list[str] = field(default_factory=list)  # balances that are no multiple of CREDITS

    @property
    def exact(self) -> bool:
        return not (self.doubled or self.lost or self.stray or self.odd)


async def books(server: FaultServer, payments: list[Pay]) -> tuple[Books, set[int]]:
    """The books, and the payments credited (whose buyers are owed a confirmation)."""
    found = await server.balances(p.n for p in payments)
    result, credited = Books(), set()
    for p in payments:
        balance = found[p.n]
        if balance % CREDITS:
            result.odd.append(f"bench-{p.n}: {balance}")
        if balance > 0:
            credited.add(p.n)
        if not p.paid:
            result.stray += balance > 0
            continue
        result.buyers += 1
        if balance == CREDITS:
            result.credited += 1
        elif balance > CREDITS:
            result.doubled += 1
        elif balance == 0:
            result.lost += 1
    return result, credited


@dataclass(frozen=True)
class Confirmations:
    owed: int  # buyers credited
    confirmed: int  # of them, with at least one confirmation
    doubled: list[int]  # payments whose buyer got more than one
    missing: list[int]
    last_first: float  # Unix time the last of the owed got their first (0: none did)
    sent: int  # sendMessage calls, all chats


def confirmations(chats: dict[int, Chat], owed: Iterable[int]) -> Confirmations:
    owed = sorted(owed)
    have = {n: chats.get(payer(n)) for n in owed}
    firsts = [c.first for c in have.values() if c is not None and c.confirmations]
    return Confirmations(
        owed=len(owed), confirmed=len(firsts),
        doubled=[n for n, c in have.items() if c is not None and c.confirmations > 1],
        missing=[n for n, c in have.items() if c is None or not c.confirmations],
        last_first=max(firsts, default=0.0),
        sent=sum(c.confirmations + c.others for c in chats.values()))


async def wait_confirmed(standin: StandIn, owed: set[int], until: float) -> Confirmations:
    """Until every owed buyer has a confirmation, or time.time() passes `until`."""
    while True:
        got = confirmations(await standin.chats(), owed)
        if not got.missing or time.time() > until:
            return got
        await asyncio.sleep(0.25)


async def settle(standin: StandIn, owed: set[int], *, not_before: float, until: float,
                 quiet: float = 3.0) -> Confirmations:
    """Once `not_before` has passed and nothing was sent for `quiet` seconds (or at `until`):
    late duplicates are counted too."""
    last_sent, changed = -1, time.time()
    while True:
        got = confirmations(await standin.chats(), owed)
        now = time.time()
        if got.sent != last_sent:
            last_sent, changed = got.sent, now
        if now > until or (now >= not_before and now - changed >= quiet):
            return got
        await asyncio.sleep(0.25)
