"""Webhook throughput over real HTTP, on SQLite and PostgreSQL: `successful_payment` updates to
`/api/telegram/webhook` and signed `invoice_paid` updates to `/api/cryptopay/webhook`, each one
crediting a pending session (linked to its payer) made beforehand, plus the pre-checkout
(answered to the sandbox Telegram with answerPreCheckoutQuery); next to a bare Starlette
endpoint under the same load (the same httpx process, the same concurrency).
Run: `python -m bench.webhook`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

from bench._http import LoadProcess, LoadResult, Request_, bare_app, free_port
from bench._util import table
from domain.providers import Provider
from domain.sessions import PaymentSession
from entrypoints.config import StarportConfig
from entrypoints.container import build_runtime
from entrypoints.http.app import create_app
from entrypoints.observability import configure_logging
from entrypoints.runtime import Runtime
from sandbox.cryptopay import SIGNATURE_HEADER, WebhookMode
from sandbox.serve import serve_app
from sandbox.telegram import Limits
from sandbox.telegram.models import Invoice
from sandbox.telegram.world import Checkout

PAYMENTS = 2000  # at most, per provider and engine: each credits one session of its own
PRE_CHECKOUTS = 1500
SECONDS = 7.0  # per case: requests stop being sent after that (the books count what was sent)
CONCURRENCY = 16
FIRST_PAYER = 8_000_000_000
PACKAGE = "starter"  # of the shipped catalog: 100 credits, 50 Stars or 1 USDT


@contextlib.asynccontextmanager
async def starport(database_url: str) -> AsyncIterator[tuple[Runtime, str]]:
    """The real app over uvicorn on loopback with the sandboxes mounted; no Bot API pacing and
    no sandbox flood limits (Telegram itself would cap the confirmations at 30 per second)."""
    port = free_port()
    config = StarportConfig(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, starport_repository="sql",
        starport_port=port, starport_sandbox=True, telegram_bot_token=None,
        payment_providers="telegram_stars,cryptopay",
        telegram_rate_per_second=100_000.0, telegram_chat_interval_seconds=0.0)
    runtime = build_runtime(config)
    runtime.sandbox_telegram.limits = Limits(enabled=False)
    async with serve_app(create_app(runtime), port=port) as base_url:
        yield runtime, base_url


async def open_sessions(runtime: Runtime, provider: Provider, payers: list[int]) -> list[str]:
    """Pending sessions, one per payer (a Telegram user who has started the bot)."""
    deps, now = runtime.deps, runtime.deps.clock.now()
    package = deps.catalog.get(PACKAGE)
    ids = [f"bench-{provider.value}-{n}" for n in range(len(payers))]
    async with deps.uow() as uow:
        for session_id, payer in zip(ids, payers, strict=True):
            await uow.sessions.add(PaymentSession.open(
                session_id=session_id, user_id=f"payer-{payer}", package=package,
                provider=provider, now=now, expires_at=now + timedelta(hours=1),
                telegram_user_id=payer))
        await uow.commit()
    return ids


def telegram(runtime: Runtime, update: dict[str, object]) -> Request_:
    secret = runtime.config.telegram_webhook_secret or ""
    return ("/api/telegram/webhook", json.dumps(update).encode(), {
        "X-Telegram-Bot-Api-Secret-Token": secret, "content-type": "application/json"})


def pre_checkouts(runtime: Runtime, sessions: list[str], payers: list[int]) -> list[Request_]:
    """pre_checkout_query updates, each awaited in the sandbox as if Telegram had asked."""
    actor, loop = runtime.sandbox_telegram.actor(), asyncio.get_running_loop()
    requests = []
    for n, (session_id, payer) in enumerate(zip(sessions, payers, strict=False)):
        user = actor.user(payer)
        invoice = Invoice(f"bench{n}", "Starter", "100 credits", session_id, 50, int(time.time()))
        query = {"id": f"bench{n}", "from": user.to_json(), "currency": "XTR",
                 "total_amount": 50, "invoice_payload": session_id}
        actor.bot.checkouts[query["id"]] = Checkout(query["id"], user, invoice,
                                                    loop.create_future())
        requests.append(telegram(runtime, {"update_id": n + 1, "pre_checkout_query": query}))
    return requests


def successful_payments(runtime: Runtime, sessions: list[str], payers: list[int]
                        ) -> list[Request_]:
    actor = runtime.sandbox_telegram.actor()
    return [telegram(runtime, {"update_id": 10**6 + n, "message": {
        "message_id": 1, "date": int(time.time()), "from": actor.user(payer).to_json(),
        "chat": actor.user(payer).private_chat(),
        "successful_payment": {"currency": "XTR", "total_amount": 50,
                               "invoice_payload": session_id,
                               "telegram_payment_charge_id": f"stxBENCH{n:08d}",
                               "provider_payment_charge_id": ""}}})
        for n, (session_id, payer) in enumerate(zip(sessions, payers, strict=True))]


async def invoices_paid(runtime: Runtime, sessions: list[str]) -> list[Request_]:
    """Each session's Crypto Pay invoice, paid; its signed update held back for the load."""
    sandbox, requests = runtime.sandbox_cryptopay, []
    for session_id in sessions:
        invoice = sandbox.api.create_invoice(
            {"asset": "USDT", "amount": "1", "payload": session_id}, None)
        (held,) = (await sandbox.pay(invoice.invoice_id, webhook=WebhookMode.DROP)).deliveries
        requests.append(("/api/cryptopay/webhook", held.body, {
            SIGNATURE_HEADER: held.signature, "content-type": "application/json"}))
    return requests


async def credited(runtime: Runtime, provider: Provider) -> int:
    """Payments the ledger credited: the credits the provider's sales account gave out."""
    async with runtime.deps.uow() as uow:
        return -await uow.ledger.balance(provider.sales_account) // 100


def row(engine: str, case: str, result: LoadResult, baseline: LoadResult, books: str
        ) -> tuple[str, ...]:
    return (engine, case, f"{result.sent:5d}", f"{result.rate:6.0f}",
            f"{result.percentile(50):6.1f}", f"{result.percentile(99):6.1f}",
            f"{result.rate / baseline.rate:.2f}", books)


async def measure(engine: str, url: str, load: LoadProcess, baseline: LoadResult
                  ) -> dict[Provider, list[tuple[str, ...]]]:
    rows: dict[Provider, list[tuple[str, ...]]] = {p: [] for p in Provider}
    async with starport(url) as (runtime, base_url):
        payers = [FIRST_PAYER + n for n in range(PAYMENTS)]
        actor = runtime.sandbox_telegram.actor()
        for payer in payers:
            actor.create_user(payer, f"Payer {payer}", started=True)
        stars = await open_sessions(runtime, Provider.TELEGRAM_STARS, payers)
        crypto = await open_sessions(runtime, Provider.CRYPTOPAY, payers)

        asked = await load.run(base_url, pre_checkouts(runtime, stars[:PRE_CHECKOUTS], payers),
                               CONCURRENCY, SECONDS)
        await runtime.bus.drain()
        answers = actor.bot.checkout_answers
        assert len(answers) == asked.sent and all(a["ok"] for a in answers), asked.outcomes
        rows[Provider.TELEGRAM_STARS].append(row(
            engine, "pre_checkout_query", asked, baseline, f"{len(answers)} answered ok"))
        for name, provider, requests in (
            ("successful_payment", Provider.TELEGRAM_STARS,
             successful_payments(runtime, stars, payers)),
            ("invoice_paid", Provider.CRYPTOPAY, await invoices_paid(runtime, crypto)),
        ):
            result = await load.run(base_url, requests, CONCURRENCY, SECONDS)
            # Bot messages still going out in the background finish before the next case (and
            # before the server stops): they neither load the next case nor fail at shutdown.
            await runtime.bus.drain()
            count = await credited(runtime, provider)
            assert result.outcomes == {"credited": result.sent}, result.outcomes
            assert count == result.sent, f"{name}: {count} credited of {result.sent} sent"
            rows[provider].append(row(engine, name, result, baseline,
                                      f"{count} sent, {count} credited"))
    for line in [*rows[Provider.TELEGRAM_STARS], *rows[Provider.CRYPTOPAY]]:
        print("  ".join(line))
    return rows


@contextlib.contextmanager
def databases() -> Iterator[list[tuple[str, str]]]:
    """(engine, url): a migrated SQLite file, and a PostgreSQL database when one answers."""
    try:
        from adapters.sql import migrate, testing
    except ImportError as exc:
        print(f"skipped: adapters.sql is not available ({exc})")
        yield []
        return
    with tempfile.TemporaryDirectory() as tmp:
        found = [("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")]
        admin = testing.admin_url()
        reason = testing.unreachable(admin)
        if reason is None:
            found.append(("postgresql", testing.create_database(admin, "starport_bench")))
        else:
            print(f"PostgreSQL skipped: not reachable at {admin} ({reason})")
        try:
            for _, url in found:
                migrate.upgrade(url)
            yield found
        finally:
            for _, url in found[1:]:
                testing.drop_database(admin, url)


async def main() -> int:
    started = time.perf_counter()
    configure_logging("json", "WARNING")  # INFO lines per request would measure the terminal
    load = LoadProcess()
    header = ("engine", "updates", "sent", "req/s", "p50 ms", "p99 ms", "ratio", "books")
    blocks: dict[Provider, list[tuple[str, ...]]] = {p: [] for p in Provider}
    try:
        async with serve_app(bare_app()) as bare_url:
            probe = [("/api/telegram/webhook", b'{"update_id": 1}', {})] * PAYMENTS
            await load.run(bare_url, probe[:200], CONCURRENCY, SECONDS)  # warms the load process
            baseline = await load.run(bare_url, probe, CONCURRENCY, SECONDS)
        bare = row("-", "bare Starlette 200", baseline, baseline, "baseline")
        print("  ".join(bare))
        with databases() as found:
            for engine, url in found:
                for provider, rows in (await measure(engine, url, load, baseline)).items():
                    blocks[provider] += rows
    finally:
        load.close()
    print(f"\nconcurrency {CONCURRENCY} from one httpx process; each case sends up to "
          f"{PAYMENTS} updates or for {SECONDS:.0f} s; ratio = req/s over the bare endpoint's")
    for title, provider in (("POST /api/telegram/webhook", Provider.TELEGRAM_STARS),
                            ("POST /api/cryptopay/webhook (signed)", Provider.CRYPTOPAY)):
        print(f"\n{title}\n" + table([header, bare, *blocks[provider]]))
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
