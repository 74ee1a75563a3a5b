"""Two Starport instances, one bot: is the Bot API pacing shared between them?

Run: `python -m bench.two_instances [--messages N] [--rate R] [--load invites|replies]
[--modes on,off] [--cut S [--cut-for D]] [--no-catch-up] [--keep-logs DIR]`.

Every part is a real process on 127.0.0.1: the sandbox Telegram (`bench._two_instances_telegram`,
flood limits on: R calls per second overall with a burst of one second's worth, one message per
second per chat with a burst of 3; the overall bucket also takes the channel calls Starport
paces, such as createChatInviteLink), and, for each pacing mode, two `starport serve --no-jobs`
(STARPORT_SANDBOX=false, the emulator's bot token and URL, TELEGRAM_RATE_PER_SECOND=R,
TELEGRAM_SHARED_PACING=on or off) on one PostgreSQL database made for the run (migrated with
`starport db upgrade`, dropped at the end).

The load (`--load invites`, the default): N invite messages between the two instances, sent at
the same time. A bulk invite cannot run on both: the job lock makes it run once across instances
sharing a database (the second instance's run answers `already_running_elsewhere`, shown in the
output). So instance A runs the bulk invite (`POST /api/admin/jobs/bulk-invite/run`) over half
of the patrons, stored beforehand; once its first call has reached the emulator, instance B is
asked to run it too (refused by the lock), then makes the other half patrons through
`POST /api/admin/patrons` (16 at a time), which invites each at once. Each invite is two paced
calls: createChatInviteLink, then the invite's sendMessage through the outbox. B's patrons have
lower ids than A's, so A's job (paging by id, its first page read before B starts) never sees
them. `--load replies`: N `/start` updates POSTed to the two webhooks (half each), each answered
with one sendMessage through the outbox.

Figures come from the emulator (each call's arrival time, its answer) and from each instance's
`GET /metrics` (`starport_bot_api_calls_total` by outcome); "delivered" is the count of users who
got exactly one message, read from the emulator, once no call has come for 3 s. The instances
run no jobs, so what they gave up on stays undelivered; then (unless `--no-catch-up`) A runs
bulk-invite again and the outbox's dispatch job, and "after catch-up" is counted the same way.
`--cut S`: S seconds into the load the run's database refuses connections for D seconds (1 by
default) and the instances' connections to it are ended, as a PostgreSQL restart does."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench._metrics import parse
from bench._procs import Proc, free_port, wait_http
from bench._starport import create_database, drop_database
from bench._two_instances_telegram import PACED_CHANNEL_METHODS
from bench._util import table
from starport.sandbox.telegram import DEFAULT_BOT_TOKEN

CLI = [sys.executable, "-m", "starport.entrypoints.cli"]  # `starport`, from this checkout

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = DEFAULT_BOT_TOKEN  # the emulator's default bot
CHANNEL_ID = -1009000000001
FIRST_USER = 6_100_000_000  # B's users first, then A's (higher ids)
SENDING = frozenset({"sendmessage", "sendinvoice"})
PACED = SENDING | PACED_CHANNEL_METHODS
CONCURRENCY = 16  # requests at once to an instance
QUIET_SECONDS = 3.0  # no paced call for this long: the instances are done
SETTLE_LIMIT = 120.0  # seconds to wait for that after the load
_CLEAR = ("STARPORT_", "TELEGRAM_", "DATABASE_URL", "CRYPTOPAY_", "PAYMENT_PROVIDERS")


class Process(Proc):
    """bench._procs.Proc started in a folder of its choosing (no stray `.env` is read)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path,
                 cwd: Path) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True,
                                          cwd=cwd)


@dataclass
class Outcome:
    mode: str
    calls: list[tuple[float, str, int, Any]]  # paced calls: (arrival s, method, status, chat)
    metrics: list[Counter[tuple[str, str]]]  # per instance: (method, outcome) -> calls
    expected: list[int]  # users who should get one message each
    notes: list[str] = field(default_factory=list)
    load_seconds: float = 0.0
    final_calls: list[tuple[float, str, int, Any]] | None = None  # after the catch-up, if any

    @property
    def span(self) -> float:
        return self.calls[-1][0] - self.calls[0][0] if len(self.calls) > 1 else 0.0

    def count(self, ok: bool | None = None, status: int | None = None) -> int:
        return sum(1 for c in self.calls if (ok is None or (c[2] == 200) == ok)
                   and (status is None or c[2] == status))

    def max_window(self, ok_only: bool = False, seconds: float = 1.0) -> int:
        times = [c[0] for c in self.calls if not ok_only or c[2] == 200]
        best = j = 0
        for i, start in enumerate(times):
            while j < len(times) and times[j] < start + seconds:
                j += 1
            best = max(best, j - i)
        return best

    def per_second(self, ok_only: bool = False, resends: bool = False) -> list[int]:
        """Calls per second from the first; `resends`: only a chat's second and later
        sendMessage (each user is sent one message: these are retries after a 429)."""
        chosen, seen = [], set()
        for c in self.calls:
            if resends:
                if c[1] != "sendMessage":
                    continue
                if c[3] not in seen:
                    seen.add(c[3])
                    continue
            if not ok_only or c[2] == 200:
                chosen.append(c)
        seconds = Counter(int(c[0] - self.calls[0][0]) for c in chosen)
        last = int(self.span) if self.calls else -1
        return [seconds[s] for s in range(last + 1)]

    def metric(self, outcome: str | None = None, instance: int | None = None) -> int:
        chosen = self.metrics if instance is None else [self.metrics[instance]]
        return int(sum(v for m in chosen for (method, out), v in m.items()
                       if method.lower() in PACED and (outcome is None or out == outcome)))

    def delivered(self, final: bool = False) -> tuple[int, int, int]:
        """(users who got their message, users who got none, users who got more than one)."""
        calls = self.final_calls if final and self.final_calls is not None else self.calls
        got = Counter(int(c[3]) for c in calls
                      if c[1].lower() in SENDING and c[2] == 200 and c[3] is not None)
        wanted = set(self.expected)
        return (sum(1 for u in wanted if got[u] == 1), sum(1 for u in wanted if got[u] == 0),
                sum(1 for u in wanted if got[u] > 1))


class Rig:
    """The processes of one mode: the emulator, the two instances, their database."""

    def __init__(self, stack: contextlib.AsyncExitStack, tmp: Path, mode: str, rate: float,
                 users: int) -> None:
        self.stack, self.tmp, self.mode, self.rate, self.users = stack, tmp, mode, rate, users
        self.emulator = f"http://127.0.0.1:{free_port()}"
        self.admin_token = secrets.token_urlsafe(24)
        self.secret = secrets.token_urlsafe(24)
        self.instances: list[str] = []
        self.url = ""
        self.db_name = f"starport_two_instances_{os.getpid()}_{mode}"

    def spawn(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> Process:
        proc = Process(name, args, env, self.tmp / f"{self.mode}-{name}.log", cwd)
        self.stack.callback(proc.stop)
        return proc

    async def start(self) -> None:
        port = self.emulator.rsplit(":", 1)[1]
        emulator = self.spawn("telegram", [
            sys.executable, "-m", "bench._two_instances_telegram", "--port", port,
            "--rate", f"{self.rate:g}", "--users", f"{FIRST_USER}:{self.users}",
            "--channel", str(CHANNEL_ID)], _clean_env(), ROOT)
        name = self.db_name
        self.url = await _retry_pg(lambda: _fresh_database(name))
        self.stack.push_async_callback(_retry_pg, lambda: drop_database(name))
        env = self.env(0)
        done = await asyncio.to_thread(
            subprocess.run, [*CLI, "db", "upgrade"], env=env,
            cwd=self.tmp, capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"starport db upgrade failed:\n{done.stdout}{done.stderr}")
        await wait_http(emulator, f"{self.emulator}/_bench/limits")
        ports = [free_port(), free_port()]
        procs = [self.spawn(f"starport-{'AB'[i]}", [
            *CLI, "serve", "--no-jobs"],
            self.env(port), self.tmp) for i, port in enumerate(ports)]
        self.instances = [f"http://127.0.0.1:{port}" for port in ports]
        await asyncio.gather(*(wait_http(p, f"{base}/readyz", times=2)
                               for p, base in zip(procs, self.instances, strict=True)))

    def env(self, port: int) -> dict[str, str]:
        return {**_clean_env(),
                "DATABASE_URL": self.url, "STARPORT_SANDBOX": "false",
                "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "TELEGRAM_BOT_USERNAME": f"sandbox{BOT_TOKEN.split(':')[0]}_bot",
                "TELEGRAM_API_URL": self.emulator, "TELEGRAM_WEBHOOK_SECRET": self.secret,
                "TELEGRAM_CHANNEL_ID": str(CHANNEL_ID),
                "TELEGRAM_RATE_PER_SECOND": f"{self.rate:g}",
                "TELEGRAM_SHARED_PACING": self.mode, "PAYMENT_PROVIDERS": "telegram_stars",
                "STARPORT_ADMIN_TOKEN": self.admin_token, "STARPORT_HOST": "127.0.0.1",
                "STARPORT_PORT": str(port or 8000), "STARPORT_LOG_FORMAT": "json",
                "STARPORT_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING")}

    def admin(self, instance: int) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            base_url=self.instances[instance], timeout=600.0, trust_env=False,
            headers={"Authorization": f"Bearer {self.admin_token}"},
            limits=httpx.Limits(max_connections=CONCURRENCY))
        self.stack.push_async_callback(client.aclose)
        return client

    async def tap_count(self, method: str | None = None) -> int:
        params = {"method": method} if method else {}
        async with httpx.AsyncClient(timeout=10.0, trust_env=False) as http:
            return int((await http.get(f"{self.emulator}/_bench/count", params=params)).json())

    async def settle(self) -> None:
        """Until no call has reached the emulator for QUIET_SECONDS (the outboxes are done)."""
        deadline = time.monotonic() + SETTLE_LIMIT
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = await self.tap_count()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= QUIET_SECONDS:
                return
            await asyncio.sleep(0.25)

    async def read(self) -> tuple[list[tuple[float, str, int, Any]], list[Counter[tuple[str, str]]],
                                  dict[str, Any]]:
        async with httpx.AsyncClient(timeout=60.0, trust_env=False) as http:
            calls = (await http.get(f"{self.emulator}/_bench/calls")).json()
            limits = (await http.get(f"{self.emulator}/_bench/limits")).json()
            metrics = []
            for base in self.instances:
                found: Counter[tuple[str, str]] = Counter()
                for (name, labels), value in parse((await http.get(f"{base}/metrics")).text
                                                   ).items():
                    if name == "starport_bot_api_calls_total":
                        tags = dict(labels)
                        found[(tags.get("method", ""), tags.get("outcome", ""))] += int(value)
                metrics.append(found)
        paced = [(float(t), str(m), int(s), c) for t, m, s, c in calls if str(m).lower() in PACED]
        return paced, metrics, limits


async def _cut_connections(rig: Rig, after: float, outage: float, notes: list[str]) -> None:
    """`--cut S`: S seconds into the load, this run's database refuses connections for
    `--cut-for` seconds and every connection of the instances to it is ended (only this
    database: what a PostgreSQL restart does to the instances, without touching the server's
    other users)."""
    import asyncpg  # type: ignore[import-untyped]

    await asyncio.sleep(after)
    conn = await asyncpg.connect(url_of(rig.url, "postgres"), timeout=10)
    try:
        await conn.execute(f'ALTER DATABASE "{rig.db_name}" WITH ALLOW_CONNECTIONS false')
        try:
            ended = await conn.fetchval(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()) AS t", rig.db_name)
            await asyncio.sleep(outage)
        finally:
            await conn.execute(f'ALTER DATABASE "{rig.db_name}" WITH ALLOW_CONNECTIONS true')
    finally:
        await conn.close()
    notes.append(f"--cut: {after:g} s into the load, the database refused connections for "
                 f"{outage:g} s ({ended} connections of the instances ended)")


def url_of(url: str, database: str | None = None) -> str:
    """asyncpg's URL for SQLAlchemy's `url` (or for another database on the same server)."""
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    return plain if database is None else f"{plain.rsplit('/', 1)[0]}/{database}"


async def _db_state(url: str) -> dict[str, Any]:
    """What the shared database says is left: outbox items by status, patrons with no invite,
    and how many seconds until the last pending item is due."""
    import asyncpg

    conn = await asyncpg.connect(url_of(url), timeout=10)
    try:
        outbox = {row["status"]: row["n"] for row in await conn.fetch(
            "SELECT status, count(*) AS n FROM outbox GROUP BY status")}
        uninvited = await conn.fetchval(
            "SELECT count(*) FROM patrons p WHERE NOT EXISTS "
            "(SELECT 1 FROM invites i WHERE i.telegram_user_id = p.telegram_user_id)")
        due = await conn.fetchval(
            "SELECT EXTRACT(EPOCH FROM max(available_at) - now()) FROM outbox "
            "WHERE status = 'pending'")
    finally:
        await conn.close()
    return {"outbox": outbox, "uninvited": int(uninvited),
            "due_in": float(due) if due is not None else None}


def _describe(state: dict[str, Any]) -> str:
    outbox = ", ".join(f"{k} {v}" for k, v in sorted(state["outbox"].items())) or "empty"
    return f"outbox: {outbox}; patrons without an invite: {state['uninvited']}"


async def _catch_up(rig: Rig, state: dict[str, Any], notes: list[str]) -> None:
    """What an operator would do next: bulk-invite again (the patrons left with no invite),
    then the outbox's dispatch job (the messages whose sends ran out of flood waits), on A."""
    a = rig.admin(0)
    if state["uninvited"]:
        answer = await a.post("/api/admin/jobs/bulk-invite/run")
        notes.append(f"catch-up bulk-invite on A: {answer.status_code} "
                     f"{json.dumps(answer.json().get('counts', answer.json()))}")
    for _ in range(3):
        state = await _db_state(rig.url)
        if not state["outbox"].get("pending"):
            break
        await asyncio.sleep(min(60.0, max(0.0, state["due_in"] or 0.0) + 0.5))
        answer = await a.post("/api/admin/jobs/dispatch-outbox/run")
        counts = answer.json().get("counts", answer.json())
        notes.append(f"catch-up dispatch-outbox on A: {answer.status_code} "
                     f"{json.dumps({k: v for k, v in counts.items() if 'seconds' not in k})}")
    await rig.settle()
    notes.append(f"after the catch-up: {_describe(await _db_state(rig.url))}")


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(_CLEAR)}


async def _fresh_database(name: str) -> str:
    await drop_database(name)  # left over by a run that was killed
    return await create_database(name)


async def _retry_pg(work: Callable[[], Awaitable[Any]], seconds: float = 60.0) -> Any:
    """PostgreSQL may be restarting (another benchmark restarts it): try again for a while."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await work()
        except (OSError, ConnectionError) as exc:
            if time.monotonic() > deadline:
                raise
            print(f"  PostgreSQL not answering ({type(exc).__name__}); retrying", flush=True)
            await asyncio.sleep(2.0)
        except Exception as exc:  # asyncpg's "the database system is starting up" and kin
            restarting = "starting up" in str(exc) or "shutting down" in str(exc)
            if not restarting or time.monotonic() > deadline:
                raise
            await asyncio.sleep(2.0)


async def _store_patrons(url: str, ids: Iterable[int]) -> None:
    """A's patrons, straight through the repositories (as bench.bulk_invite does)."""
    from starport.adapters.sql import SqlDatabase
    from starport.domain.perks import Patron, PatronSource

    db = SqlDatabase(url)
    now = datetime.now(UTC)
    try:
        async with db() as uow:
            for uid in ids:
                await uow.patrons.add(Patron(uid, str(uid), PatronSource.ADMIN, now))
            await uow.commit()
    finally:
        await db.dispose()


async def _each(items: list[int], work: Callable[[int], Awaitable[None]]) -> None:
    pending = list(reversed(items))

    async def worker() -> None:
        while pending:
            await work(pending.pop())

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def _invites(rig: Rig, a_ids: list[int], b_ids: list[int], notes: list[str]) -> None:
    await _store_patrons(rig.url, a_ids)
    a, b = rig.admin(0), rig.admin(1)
    job_a = asyncio.create_task(a.post("/api/admin/jobs/bulk-invite/run"))
    try:
        # Once A's first invite link is made, A holds the job lock and has read its first page.
        while await rig.tap_count("createChatInviteLink") == 0:
            if job_a.done():
                break
            await asyncio.sleep(0.02)
        job_b = await b.post("/api/admin/jobs/bulk-invite/run")
        notes.append(f"bulk-invite on B at the same time: {job_b.status_code} "
                     f"{json.dumps(job_b.json().get('counts', job_b.json()))}")
        refused: Counter[int] = Counter()

        async def make(uid: int) -> None:
            answer = await b.post("/api/admin/patrons",
                                  json={"telegramUserId": uid, "firstName": f"User {uid}"})
            if answer.status_code != 201 or not answer.json().get("invite"):
                refused[answer.status_code] += 1

        await _each(b_ids, make)
        done_a = await job_a
    finally:
        if not job_a.done():  # interrupted: do not leave it running
            job_a.cancel()
            with contextlib.suppress(BaseException):
                await job_a
    notes.append(f"bulk-invite on A: {done_a.status_code} "
                 f"{json.dumps(done_a.json().get('counts', done_a.json()))}")
    notes.append(f"POST /api/admin/patrons on B: {len(b_ids) - sum(refused.values())} x 201 "
                 f"with an invite" + (f", not invited: {dict(refused)}" if refused else ""))


async def _replies(rig: Rig, a_ids: list[int], b_ids: list[int], notes: list[str]) -> None:
    answers: Counter[tuple[str, int]] = Counter()

    async def feed(instance: int, ids: list[int]) -> None:
        async with httpx.AsyncClient(base_url=rig.instances[instance], timeout=60.0,
                                     trust_env=False,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": rig.secret},
                                     limits=httpx.Limits(max_connections=CONCURRENCY)) as http:
            async def one(uid: int) -> None:
                update = {"update_id": uid - FIRST_USER + 1, "message": {
                    "message_id": 1, "date": int(time.time()), "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                    "from": {"id": uid, "is_bot": False, "first_name": "User"},
                    "chat": {"id": uid, "type": "private", "first_name": "User"}}}
                answer = await http.post("/api/telegram/webhook", json=update)
                answers[("AB"[instance], answer.status_code)] += 1

            await _each(ids, one)

    await asyncio.gather(feed(0, a_ids), feed(1, b_ids))
    notes.append("webhook answers: " + ", ".join(f"{k[0]} {k[1]} x {v}"
                                                 for k, v in sorted(answers.items())))


async def run_mode(mode: str, args: argparse.Namespace, tmp: Path) -> Outcome:
    async with contextlib.AsyncExitStack() as stack:
        rig = Rig(stack, tmp, mode, args.rate, args.messages)
        await rig.start()
        half = args.messages // 2
        b_ids = list(range(FIRST_USER, FIRST_USER + half))
        a_ids = list(range(FIRST_USER + half, FIRST_USER + args.messages))
        notes: list[str] = []
        postmaster = await _retry_pg(_postmaster_start)
        started = time.monotonic()
        cut = (asyncio.create_task(_cut_connections(rig, args.cut, args.cut_for, notes))
               if args.cut is not None else None)
        await (_invites if args.load == "invites" else _replies)(rig, a_ids, b_ids, notes)
        load_seconds = time.monotonic() - started
        await rig.settle()
        if cut is not None:
            await cut
        calls, metrics, limits = await rig.read()
        stats = limits["stats"]
        notes.append(f"emulator counters: {stats['calls']} calls, {stats['too_many_requests']} "
                     f"429 ({stats['rate_limited']} of its flood limits)")
        state = await _retry_pg(lambda: _db_state(rig.url))
        notes.append(f"when the instances went quiet: {_describe(state)}")
        if await _retry_pg(_postmaster_start) != postmaster:
            notes.append("WARNING: PostgreSQL restarted during this run (not by this benchmark):"
                         " its figures include a database outage")
        for name in ("A", "B"):
            log = (tmp / f"{mode}-starport-{name}.log").read_text(errors="replace")
            if (alone := log.count("the shared schedule is unavailable")):
                notes.append(f"instance {name} logged 'the shared schedule is unavailable; "
                             f"pacing this process alone' {alone} time(s)")
        outcome = Outcome(mode, calls, metrics, a_ids + b_ids, notes, load_seconds)
        if args.catch_up and (state["outbox"].get("pending") or state["uninvited"]):
            await _catch_up(rig, state, notes)
            outcome.final_calls = (await rig.read())[0]
        (tmp / f"{mode}-calls.json").write_text(json.dumps(
            {"calls": calls, "final_calls": outcome.final_calls}))
        return outcome


async def _postmaster_start() -> str:
    import asyncpg

    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres",
                                 database="postgres", timeout=10)
    try:
        return str(await conn.fetchval("SELECT pg_postmaster_start_time()"))
    finally:
        await conn.close()


def _delivered(o: Outcome) -> str:
    def text(final: bool) -> str:
        got, missing, twice = o.delivered(final)
        return (f"{'yes' if got == len(o.expected) and not twice else 'NO'} {got}/"
                f"{len(o.expected)}" + (f", {missing} none" if missing else "")
                + (f", {twice} twice" if twice else ""))

    first = text(False)
    return first if o.final_calls is None else f"{first}; after catch-up: {text(True)}"


def _report(outcomes: list[Outcome], args: argparse.Namespace) -> None:
    rows: list[tuple[str, ...]] = [(
        "shared pacing", "calls (ok / 429)", "span s", "calls/s overall",
        "max calls in any 1 s (all / ok)", "429: emulator / metrics A+B", "calls A / B (metrics)",
        "delivered")]
    for o in outcomes:
        span = o.span or float("nan")
        rows.append((
            o.mode, f"{len(o.calls)} ({o.count(ok=True)} / {o.count(status=429)})",
            f"{o.span:.1f}", f"{len(o.calls) / span:.1f} (ok {o.count(ok=True) / span:.1f})",
            f"{o.max_window()} / {o.max_window(ok_only=True)}",
            f"{o.count(status=429)} / {o.metric('retry_after')}",
            f"{o.metric(instance=0)} / {o.metric(instance=1)}", _delivered(o)))
    print()
    print(table(rows))
    for o in outcomes:
        print(f"\nshared pacing {o.mode}: load took {o.load_seconds:.1f} s")
        for note in o.notes:
            print(f"  {note}")
        methods = Counter(c[1] for c in o.calls)
        print(f"  paced calls by method: {dict(methods)}")
        print(f"  calls per second received, second by second: {o.per_second()}")
        print(f"  of them answered ok: {o.per_second(ok_only=True)}")
        print(f"  of them a sendMessage sent again after a 429: {o.per_second(resends=True)}")
        outcomes_seen: Counter[str] = Counter()
        for m in o.metrics:
            for (method, outcome), v in m.items():
                outcomes_seen[f"{method}:{outcome}"] += v
        print(f"  starport_bot_api_calls_total, both instances: {dict(outcomes_seen)}")


async def bench(args: argparse.Namespace) -> None:
    per_invite = 2 if args.load == "invites" else 1
    print(f"{args.messages} {'invites' if args.load == 'invites' else '/start replies'} "
          f"({args.messages * per_invite} paced Bot API calls) between two `starport serve "
          f"--no-jobs` on one PostgreSQL database; the sandbox Telegram in its own process, "
          f"flood limits on: {args.rate:g} calls/s overall (burst {args.rate:g}), 1 message/s "
          f"per chat (burst 3); TELEGRAM_RATE_PER_SECOND={args.rate:g} in each instance",
          flush=True)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="two-instances-") as folder:
        tmp = Path(folder)
        try:
            for mode in args.modes:
                print(f"shared pacing {mode}: starting ...", flush=True)
                started = time.monotonic()
                outcomes.append(await run_mode(mode, args, tmp))
                print(f"shared pacing {mode}: done in {time.monotonic() - started:.0f} s",
                      flush=True)
        except BaseException:
            if args.keep_logs:
                _keep(tmp, args.keep_logs)
            raise
        if args.keep_logs:
            _keep(tmp, args.keep_logs)
    _report(outcomes, args)


def _keep(tmp: Path, where: str) -> None:
    target = Path(where)
    target.mkdir(parents=True, exist_ok=True)
    for kept in [*tmp.glob("*.log"), *tmp.glob("*.json")]:
        (target / kept.name).write_bytes(kept.read_bytes())
    print(f"logs kept in {target}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.two_instances", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500,
                        help="invite messages (or replies) in all, half per instance")
    parser.add_argument("--rate", type=float, default=30.0,
                        help="the emulator's overall limit and TELEGRAM_RATE_PER_SECOND")
    parser.add_argument("--load", choices=["invites", "replies"], default="invites")
    parser.add_argument("--modes", default="on,off",
                        help="TELEGRAM_SHARED_PACING values to run, in order")
    parser.add_argument("--no-catch-up", dest="catch_up", action="store_false",
                        help="do not run bulk-invite and dispatch-outbox again at the end")
    parser.add_argument("--cut", type=float, metavar="S",
                        help="S seconds into the load, cut the instances off their database")
    parser.add_argument("--cut-for", type=float, default=1.0, metavar="D",
                        help="for D seconds (default 1)")
    parser.add_argument("--keep-logs", metavar="DIR",
                        help="copy the processes' logs (and the calls seen, as JSON) there")
    args = parser.parse_args()
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or any(m not in ("on", "off", "auto") for m in args.modes):
        parser.error("--modes takes on, off, auto (comma-separated)")
    if args.messages < 2 or args.rate <= 0:
        parser.error("--messages must be at least 2 and --rate positive")
    try:
        asyncio.run(_main(args))
    except (asyncio.CancelledError, KeyboardInterrupt):
        print("interrupted: the processes were stopped and the databases dropped",
              file=sys.stderr)
        sys.exit(130)


async def _main(args: argparse.Namespace) -> None:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGHUP):  # stop the processes on the way out
        assert task is not None
        loop.add_signal_handler(sig, task.cancel)
    await bench(args)


if __name__ == "__main__":
    main()
