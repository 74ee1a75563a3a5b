"""Whole payments per second through a real `starport serve`, next to two baselines measured
in the same run under the same load.

A payment is what Telegram sends a webhook for one Stars purchase: a `pre_checkout_query`
update POSTed to the webhook and, after its answer, a `message.successful_payment` update for
the same invoice payload from the same payer (each update with a unique, increasing update_id
and the secret-token header). The servers, one after the other, each its own process:

- bare: a Starlette endpoint on uvicorn (uvloop, httptools) answering 200 `{"ok":true}`: the
  floor of HTTP and JSON on this machine (`bench._bare`);
- guides: the design the aiogram payment guides teach (`bench._guides_bot`): aiogram 3 on
  aiohttp, handlers that open sqlite3 per call and answer the Bot API themselves;
- starport SQLite: `starport serve` on a migrated SQLite file;
- starport PostgreSQL: `starport serve --workers N` (`--workers` or `--pg-workers`, default 2;
  N = 1 runs it without the flag) on a fresh database, dropped at the end.

The Bot API is a stand-in, a third process (`bench._standin`: asyncio Protocol on uvloop) that
answers the calls of Starport and aiogram and counts them per method. The load comes from a
fourth process per run (`bench._load`): a minimal HTTP/1.1 client on uvloop, C payers each on
its own keep-alive connection doing payments one after another, request bytes built
beforehand, latency recorded per request kind, the clock from the first send to the last
answer. Sessions (Starport: `POST /api/payments/create-session`, which calls
createInvoiceLink; the guides' bot: its users table) are made before the clock starts, and
each server first takes a small warm-up run (not reported, books checked too).

After each run: pre-checkouts answered yes are counted in the webhook response bodies
(`{"method":"answerPreCheckoutQuery","ok":true,...}`) and at the stand-in (answerPreCheckoutQuery
calls with ok=true; a body `{"ok":true,"outcome":"pre_checkout_ok"}` says the server called it);
each paid payment needs exactly one of the two. Starport sends its confirmations in the
background: the benchmark waits (up to 30 s) for the stand-in to have one sendMessage per
payment, and `confirmed/s` counts the payments over the time from the load's first send to the
stand-in's last sendMessage (the guides' bot replies before it answers: its two rates are one;
Starport's confirmations may trail its answers). The books: Starport's balance of every user
of the run (100 credits each paid one,
0 the others, the sum 100 x payments); the sqlite credits of the guides' bot likewise.
Any failed check makes the exit status 1. A note gives the pre-checkouts of the opening burst
(one per payer, all sent in the first instant, before any was answered) apart from the others:
at 32 payers the slowest of them are the run's p99 (docs/benchmarks.md, twelfth pass). The
table's p99 counts them all.

Starport's database work comes from its `/metrics` counters (`starport_db_statements_total`,
`starport_db_transactions_total{mode}`), read before and after the run (after the
confirmations and a 1 s pause), divided by the updates the same process counted in
`starport_webhook_requests_total` (2 per payment); the scheduled jobs of `serve` (the outbox
sweep every 5 s) are counted in. With several workers each scrape is on a new connection, so it
reaches one worker; the figure sums the workers that were seen both before and after (the
notes say how many of how many). "n/a" when the counters are absent.
CPU is read from /proc (server with its workers, stand-in) and from the load process itself
over the clocked time, as a share of one core (/proc counts in 10 ms ticks: the bare server's
runs last a tenth of a second or so at the defaults, so its figures are the noisiest).

CPU ms/payment: the server's processes' CPU (and PostgreSQL's, for the PostgreSQL server)
over the clocked time, per payment. `--rounds N`: every server N times, in turn, each time a
fresh process; then a summary of each server over the rounds (medians; the worst pre-checkout
p99; each ratio to the guides' bot taken within its round, its median and its lowest).

Run: `python -m bench.webhook [--database sqlite|postgres|both] [--payments 600]
[--concurrency 32] [--burst 256] [--burst-payments 1024] [--workers 2] [--rounds 1]
[--only ...]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench._load import Job, LoadResult, run_load
from bench._metrics import DbWork
from bench._procs import (
    Proc,
    database_cpu_seconds,
    free_port,
    machine_busy_seconds,
    machine_steal_seconds,
    wait_tcp,
)
from bench._servers import Bare, BooksError, Guides, Server
from bench._starport import Starport
from bench._util import table

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
SECRET = "bench-webhook-secret"
CONFIRMATION_WAIT = 30.0
SERVERS = ("bare", "guides", "sqlite", "postgres")


@dataclass(frozen=True)
class Level:
    label: str
    payments: int
    concurrency: int


@dataclass
class Run:
    server: str
    result: LoadResult
    db: DbWork | None = None
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    confirmed_within: float = 0.0  # seconds from the first send to the last confirmation
    cpu_per_payment: float = 0.0  # CPU seconds per payment: the server's, PostgreSQL's added

    @property
    def confirmed_rate(self) -> float:
        """Payments per second counted until the last payer had their confirmation."""
        return len(self.result.paid) / self.confirmed_within if self.confirmed_within else 0.0


class StandIn:
    def __init__(self, proc: Proc, port: int) -> None:
        self.proc, self.url = proc, f"http://127.0.0.1:{port}"

    async def counts(self) -> Counter[str]:
        async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
            response = await client.get(f"{self.url}/_counts")
        response.raise_for_status()
        return Counter(response.json())

    async def last(self, method: str) -> float | None:
        """The Unix time of the method's last call, if any."""
        async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
            response = await client.get(f"{self.url}/_last")
        response.raise_for_status()
        found = response.json().get(method)
        return float(found) if found is not None else None

    async def sent_since(self, before: Counter[str], method: str, expected: int) -> Counter[str]:
        """The calls since `before`, once `expected` calls of `method` are in (or time is up)."""
        deadline = time.monotonic() + CONFIRMATION_WAIT
        while True:
            calls = await self.counts() - before
            if calls[method] >= expected or time.monotonic() > deadline:
                return calls
            await asyncio.sleep(0.1)


async def measure(server: Server, standin: StandIn, env: dict[str, str], first: int,
                  level: Level) -> Run:
    payments = await server.prepare(first, level.payments)
    before = await standin.counts()
    await server.db_before()
    cpu = (server.cpu_seconds(), standin.proc.cpu_seconds(), database_cpu_seconds(),
           machine_busy_seconds(), machine_steal_seconds())
    job = Job(server.port, payments, level.concurrency, timeout=60 + 0.25 * level.payments)
    result = await run_load(job, env)
    server_cpu, standin_cpu = server.cpu_seconds() - cpu[0], standin.proc.cpu_seconds() - cpu[1]
    database_cpu, busy = database_cpu_seconds() - cpu[2], machine_busy_seconds() - cpu[3]
    steal = machine_steal_seconds() - cpu[4]
    run = Run(server.name, result)
    paid = len(result.paid)
    if paid:
        uses_postgres = getattr(server, "database", None) == "postgres"
        run.cpu_per_payment = (server_cpu + (database_cpu if uses_postgres else 0.0)) / paid
    expected = paid if server.sends_confirmations else 0
    calls = await standin.sent_since(before, "sendMessage", expected)
    run.db = await server.db_after()

    if result.timed_out:
        run.failures.append(f"the load did not finish in {job.timeout:.0f} s")
    if result.errors:
        run.failures.append(f"{result.errors} requests failed: {dict(result.statuses)}; "
                            + " | ".join(result.samples))
    if server.answers_pre_checkout:
        in_body, by_api = result.pre_answers["in_body"], calls["answerPreCheckoutQuery:ok"]
        run.notes.append(
            f"pre-checkouts answered yes: {in_body} in the response body, {by_api} by an "
            f"answerPreCheckoutQuery call ({result.pre_answers['outcome_ok']} bodies said "
            f"pre_checkout_ok)")
        if in_body + by_api != paid:
            run.failures.append(
                f"pre-checkout answers: {in_body} + {by_api} for {paid} payments (all "
                f"answerPreCheckoutQuery calls: {calls['answerPreCheckoutQuery']})")
    # (a server that sends none would find the last one of the server before it)
    last_sent = (await standin.last("sendMessage") if paid and server.sends_confirmations
                 else None)
    if last_sent is not None and result.started_at:
        # the payer's confirmation is part of a payment: the guides' bot sends it before it
        # answers, Starport after its commit (it may lag behind the answers under load)
        run.confirmed_within = max(result.wall, last_sent - result.started_at)
    if server.sends_confirmations:
        run.notes.append(f"confirmations: {calls['sendMessage']} sendMessage for {paid} payments"
                         + (f", the last {run.confirmed_within - result.wall:.2f} s after the "
                            "last answer" if run.confirmed_within else ""))
        if calls["sendMessage"] != paid:
            run.failures.append(f"{calls['sendMessage']} confirmations for {paid} payments")
    if result.pay_outcomes and set(result.pay_outcomes) != {"-"}:
        run.notes.append(f"successful_payment outcomes: {dict(result.pay_outcomes)}")
    try:
        run.notes.append(await server.books(first, level.payments,
                                            [first + i for i in result.paid]))
    except BooksError as exc:
        run.failures.append(str(exc))
    if result.opening_pre:
        run.notes.append(_opening_note(result))
    wall = result.wall or float("nan")
    run.notes.append(f"CPU over the clocked {result.wall:.1f} s (100% = one core): server "
                     f"{server_cpu / wall:.0%}, stand-in {standin_cpu / wall:.0%}, "
                     f"load {result.cpu / wall:.0%}, PostgreSQL {database_cpu / wall:.0%} "
                     "(its processes alive at both ends); "
                     f"the machine busy {busy / wall:.0%} of {os.cpu_count()} cores' 100%, "
                     f"of it steal (the host running others) {steal / wall:.0%}")
    if run.db is not None:
        run.notes.append(
            f"database: {run.db.text(run.db.reads_per_update)} read transactions per update; "
            f"from {run.db.workers_seen} process(es) seen before and after, "
            f"{run.db.updates} updates")
    return run


def _opening_note(result: LoadResult) -> str:
    """The pre-checkouts of the opening burst (one per payer, all sent before any was
    answered) apart from the others: at 32 payers they alone set the p99 of a run."""
    opening = result.opening_pre
    later = sorted((Counter(result.pre_latencies) - Counter(opening)).elements())
    pct = LoadResult.percentile
    return (f"pre-checkout: the opening burst ({len(opening)} sent at once) p50 "
            f"{_ms(pct(opening, 50))}, max {_ms(opening[-1] * 1000)} ms; the other "
            f"{len(later)} p50 {_ms(pct(later, 50))}, p99 {_ms(pct(later, 99))} ms")


async def run_server(server: Server, levels: list[Level], standin: StandIn,
                     env: dict[str, str]) -> dict[Level, Run]:
    runs: dict[Level, Run] = {}
    await server.start()
    first = 0
    for level in levels:
        print(f"  {server.name}: {level.label}, {level.payments} payments at "
              f"{level.concurrency} ...", flush=True)
        runs[level] = await measure(server, standin, env, first, level)
        first += level.payments
        for line in runs[level].notes + [f"FAILED: {f}" for f in runs[level].failures]:
            print(f"    {line}", flush=True)
    return runs


def _ms(value: float) -> str:
    return f"{value:.1f}"


def report(level: Level, runs: dict[str, Run], prefix: str = "") -> str:
    header = ("server", "payments/s", "confirmed/s", "paid p50 ms", "paid p99 ms",
              "pre p50 ms", "pre p99 ms", "errors", "CPU ms/payment", "stmts/payment",
              "writes/update", "x bare", "x guides", "x guides confirmed")
    bare, guides = runs.get(Bare.name), runs.get(Guides.name)
    rows: list[tuple[str, ...]] = [header]
    for run in runs.values():
        r = run.result
        db = run.db
        workers = (f" ({db.workers_seen} proc. seen)" if db is not None and db.workers_seen != 1
                   else "")
        rows.append((
            run.server, f"{r.rate:.0f}",
            f"{run.confirmed_rate:.0f}" if run.confirmed_rate else "-",
            _ms(r.percentile(r.pay_latencies, 50)), _ms(r.percentile(r.pay_latencies, 99)),
            _ms(r.percentile(r.pre_latencies, 50)), _ms(r.percentile(r.pre_latencies, 99)),
            str(r.errors),
            f"{run.cpu_per_payment * 1000:.2f}" if run.cpu_per_payment else "-",
            (db.text(db.statements_per_payment) + workers) if db else "n/a",
            db.text(db.writes_per_update) if db else "n/a",
            f"{r.rate / bare.result.rate:.2f}" if bare and bare.result.rate else "-",
            f"{r.rate / guides.result.rate:.2f}" if guides and guides.result.rate else "-",
            f"{run.confirmed_rate / guides.confirmed_rate:.2f}"
            if guides and guides.confirmed_rate and run.confirmed_rate else "-"))
    return (f"\n{prefix}{level.label}: {level.payments} payments, {level.concurrency} concurrent"
            f" payers (one keep-alive connection each)\n" + table(rows))


def summary(level: Level, rounds: list[dict[str, Run]]) -> str:
    """Each server over the rounds: the median, and the worst round beside it. A ratio is
    taken within each round (against the guides' bot of that round), then summarised."""
    header = ("server", "rounds", "payments/s", "confirmed/s", "pre p99 ms, worst",
              "CPU ms/payment", "x guides", "x guides, lowest", "x guides confirmed",
              "x guides confirmed, lowest")
    rows: list[tuple[str, ...]] = [header]
    names = list(dict.fromkeys(name for runs in rounds for name in runs))
    for name in names:
        runs = [(r[name], r.get(Guides.name)) for r in rounds if name in r]
        rates = [run.result.rate for run, _ in runs]
        confirmed = [run.confirmed_rate for run, _ in runs if run.confirmed_rate]
        pre = [run.result.percentile(run.result.pre_latencies, 99) for run, _ in runs]
        cpu = [run.cpu_per_payment * 1000 for run, _ in runs if run.cpu_per_payment]
        x = [run.result.rate / g.result.rate for run, g in runs if g and g.result.rate]
        xc = [run.confirmed_rate / g.confirmed_rate for run, g in runs
              if g and g.confirmed_rate and run.confirmed_rate]
        rows.append((name, str(len(runs)), _median(rates, "{:.0f}"), _median(confirmed, "{:.0f}"),
                     f"{_median(pre, '{:.1f}')}, {max(pre):.1f}" if pre else "-",
                     _median(cpu, "{:.2f}"), _median(x, "{:.2f}"),
                     f"{min(x):.2f}" if x else "-", _median(xc, "{:.2f}"),
                     f"{min(xc):.2f}" if xc else "-"))
    return (f"\n{level.label}, over {len(rounds)} rounds (medians): {level.payments} payments, "
            f"{level.concurrency} concurrent payers\n" + table(rows))


def _median(values: list[float], form: str) -> str:
    return form.format(statistics.median(values)) if values else "-"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.webhook", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--payments", type=int, default=600)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--burst", type=int, default=256,
                   help="concurrent payers of the burst run (0: no burst run)")
    p.add_argument("--burst-payments", type=int, default=1024)
    p.add_argument("--warmup", type=int, default=64, help="payments before the measured runs")
    p.add_argument("--workers", "--pg-workers", dest="workers", type=int, default=2,
                   help="`starport serve --workers N` on PostgreSQL (1: without the flag)")
    p.add_argument("--logs", default=None,
                   help="a directory to keep the servers' logs in (default: a temporary one)")
    p.add_argument("--rounds", type=int, default=1,
                   help="run every server this many times, in turn, and add a summary of "
                        "medians (each ratio taken within its round)")
    p.add_argument("--only", default=",".join(SERVERS),
                   help=f"servers to run, comma-separated, of {','.join(SERVERS)}")
    return p


def _servers(args: argparse.Namespace) -> list[str]:
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(wanted) - set(SERVERS)
    if unknown:
        raise SystemExit(f"--only takes {','.join(SERVERS)}; unknown: {','.join(unknown)}")
    skip = {"sqlite": {"postgres"}, "postgres": {"sqlite"}, "both": set()}[args.database]
    return [s for s in SERVERS if s in wanted and s not in skip]


async def _run_one(name: str, args: argparse.Namespace, logs: Path, env: dict[str, str],
                   standin: StandIn, levels: list[Level],
                   results: dict[Level, dict[str, Run]]) -> list[str]:
    """One server through the levels, its runs put in `results`; the failures returned."""
    async with contextlib.AsyncExitStack() as own:
        made: dict[str, type[Server]] = {"bare": Bare, "guides": Guides}
        common = (own, env, logs, standin.url, TOKEN, SECRET)
        server = (made[name](*common) if name in made else Starport(
            *common, database=name, workers=args.workers if name == "postgres" else 1))
        print(f"{server.name}:", flush=True)
        try:
            runs = await run_server(server, levels, standin, env)
        except Exception as exc:
            print(f"  FAILED: {type(exc).__name__}: {exc}", flush=True)
            return [f"{server.name}: {type(exc).__name__}: {exc}"]
    failures: list[str] = []
    for level, run in runs.items():
        if level in results:
            results[level][server.name] = run
        failures += [f"{server.name}, {level.label}: {f}" for f in run.failures]
    return failures


async def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    names = _servers(args)
    levels = [Level("main", args.payments, args.concurrency)]
    if args.burst > 0 and args.burst_payments > 0:
        levels.append(Level("burst", args.burst_payments, args.burst))
    warmup = Level("warm-up", args.warmup, min(8, args.concurrency))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "pkg"), str(ROOT)])}
    started = time.perf_counter()
    rounds: list[dict[Level, dict[str, Run]]] = []
    failures: list[str] = []
    with (contextlib.nullcontext(args.logs) if args.logs
          else tempfile.TemporaryDirectory(prefix="bench-webhook-")) as tmp:
        async with contextlib.AsyncExitStack() as stack:
            port = free_port()
            proc = Proc("standin", [sys.executable, "-m", "bench._standin", "--port", str(port)],
                        env, Path(tmp) / "standin.log")
            stack.callback(proc.stop)
            await wait_tcp(proc, port)
            standin = StandIn(proc, port)
            for number in range(1, args.rounds + 1):
                if args.rounds > 1:
                    print(f"round {number} of {args.rounds}", flush=True)
                results: dict[Level, dict[str, Run]] = {level: {} for level in levels}
                rounds.append(results)
                for name in names:
                    logs = Path(tmp) / (name if args.rounds == 1 else f"{name}-{number}")
                    os.mkdir(logs)
                    failures += await _run_one(name, args, logs, env, standin,
                                               ([warmup] if args.warmup else []) + levels,
                                               results)
    for number, results in enumerate(rounds, 1):
        for level in levels:
            if results[level]:
                print(report(level, results[level],
                             f"round {number}: " if len(rounds) > 1 else ""))
    if len(rounds) > 1:
        for level in levels:
            print(summary(level, [results[level] for results in rounds]))
    print(f"\nstatements per payment and write transactions per update: Starport's /metrics"
          f" counters over the run (see the module docstring); total "
          f"{time.perf_counter() - started:.0f} s")
    if failures:
        print("\nFAILED:\n" + "\n".join(f"- {f}" for f in failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
