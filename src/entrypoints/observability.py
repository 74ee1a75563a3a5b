"""Operations: structlog setup (JSON lines or console, secrets redacted) and Prometheus metrics."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from starport.adapters.telegram.redact import REDACTED, install_log_redaction, redact
from starport.application.balance_alert import WalletCheck
from starport.application.messagebus import MessageBus
from starport.application.views import PaymentOutcome

_HANDLER_NAME = "starport"


class Redactor:
    """A structlog processor that keeps the configured secrets (and bot tokens) out of lines."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, _logger: Any, _name: str, event: MutableMapping[str, Any]
                 ) -> MutableMapping[str, Any]:
        for key, value in event.items():
            event[key] = self._deep(value)
        return event

    def _deep(self, value: Any) -> Any:
        """Strings anywhere inside the event, nested dicts, lists and tuples included."""
        if isinstance(value, str):
            return self.clean(value)
        if isinstance(value, dict):
            return {k: self._deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._deep(v) for v in value)
        return value

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return redact(text)


class OncePerBurst(logging.Filter):
    """One line per burst of a message that repeats per attempt (asyncio logs each failed
    `accept()` when the process runs out of file descriptors: hundreds of thousands a minute):
    the first passes, the rest of the burst (until `quiet` seconds pass without one) are
    counted, and the next that passes says how many were not shown."""

    def __init__(self, prefix: str, quiet: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._prefix, self._quiet, self._clock = prefix, quiet, clock
        self._last = -float("inf")
        self._suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self._prefix):
            return True
        now = self._clock()
        in_burst, self._last = now - self._last < self._quiet, now
        if in_burst:
            self._suppressed += 1
            return False
        if self._suppressed:
            record.msg = f"{record.msg} ({self._suppressed} more in the last burst not shown)"
            self._suppressed = 0
        return True


def configure_logging(fmt: str = "auto", level: str = "INFO",
                      secrets: Iterable[str | None] = (), *, keep_loggers: bool = False) -> None:
    """JSON lines when stderr is not a terminal (or fmt="json"), a console renderer otherwise.
    Standard-library loggers (the use cases') go through the same processors, context included.

    `keep_loggers`: for a server process, configured once before it logs. A module's logger
    is then made at its first line and kept; otherwise every line makes it anew (three
    `bind`s of structlog's lazy proxy), even a line below the level: six per payment. A
    process that configures again later (a test) must not keep them: its old loggers would
    keep the old processors."""
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    redactor = Redactor(secrets)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redactor,
    ]
    renderer: Any = (structlog.processors.JSONRenderer() if as_json
                     else structlog.dev.ConsoleRenderer())
    structlog.configure(
        # Lines below the level are dropped before any processor runs (the stdlib logger would
        # drop them only after the context merge, the timestamp and the redaction).
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=keep_loggers,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    redactor,  # again: tracebacks are text only from here on
                    renderer],
    )
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # we log requests ourselves
    asyncio_log = logging.getLogger("asyncio")
    for old in [f for f in asyncio_log.filters if isinstance(f, OncePerBurst)]:
        asyncio_log.removeFilter(old)
    asyncio_log.addFilter(OncePerBurst("socket.accept() out of system resource"))
    install_log_redaction("httpx", "httpcore", "uvicorn.error")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is now (test capture, a redirected stream)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _StatementCollector(Collector):
    """The database's own counters, read at scrape time (nothing added to each statement)."""

    def __init__(self, counts: Any) -> None:
        self._counts = counts

    def collect(self) -> Iterable[Metric]:
        statements = CounterMetricFamily(
            "starport_db_statements", "SQL statements executed by the repositories")
        statements.add_metric([], self._counts.statements)
        transactions = CounterMetricFamily(
            "starport_db_transactions", "Database transactions begun, by mode", labels=["mode"])
        transactions.add_metric(["read"], self._counts.read_transactions)
        transactions.add_metric(["write"], self._counts.write_transactions)
        return [statements, transactions]


class Metrics:
    """Starport's Prometheus metrics, in a registry of their own (one per app, or shared by the
    container). `record_bot_api_call` is the Telegram client's `on_call` hook."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.webhook_requests = Counter(
            "starport_webhook_requests", "Webhook requests by source and outcome",
            ["source", "outcome"], registry=r)
        self.payments_credited = Counter(
            "starport_payments_credited", "Payments credited to the ledger, by provider",
            ["provider"], registry=r)
        self.credits_sold = Counter(
            "starport_credits_sold", "Credits granted by payments, by provider",
            ["provider"], registry=r)
        self.pre_checkout_seconds = Histogram(
            "starport_pre_checkout_seconds", "Time to answer a pre_checkout_query (limit 10 s)",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10), registry=r)
        self.bot_api_calls = Counter(
            "starport_bot_api_calls", "Bot API calls by method and outcome",
            ["method", "outcome"], registry=r)
        self.bot_api_seconds = Histogram(
            "starport_bot_api_call_seconds", "Bot API call latency by method", ["method"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=r)
        self.http_seconds = Histogram(
            "starport_http_request_seconds", "HTTP request latency by route", ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=r)
        self.job_runs = Counter(
            "starport_job_runs", "Scheduled job runs by job and outcome (ok, failed, busy: "
            "another instance had it)", ["job", "outcome"], registry=r)
        self.job_seconds = Histogram(
            "starport_job_seconds", "Scheduled job run time by job", ["job"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300), registry=r)
        self.outbox_backlog = Gauge(
            "starport_outbox_backlog", "Outbox items waiting to go out (at the last dispatch "
            "run)", registry=r)
        self.outbox_oldest_seconds = Gauge(
            "starport_outbox_oldest_pending_seconds", "Age of the oldest outbox item waiting "
            "(at the last dispatch run)", registry=r)
        self.http_requests = Counter(
            "starport_http_requests", "HTTP requests by route and status class",
            ["route", "status"], registry=r)
        self.cryptopay_available = Gauge(
            "starport_cryptopay_balance_available", "Crypto Pay wallet balance available, by asset",
            ["asset"], registry=r)
        self.cryptopay_onhold = Gauge(
            "starport_cryptopay_balance_onhold", "Crypto Pay wallet balance on hold, by asset",
            ["asset"], registry=r)
        self._buses: list[MessageBus] = []

    def attach(self, bus: MessageBus, database: Any = None) -> None:
        """Count committed payments (and, for a SQL database, its statements); attaching the
        same bus twice counts once."""
        if any(b is bus for b in self._buses):
            return
        self._buses.append(bus)
        bus.observe(PaymentOutcome, self.on_payment)
        bus.observe(WalletCheck, self.on_wallet_check)
        counts = getattr(database, "counts", None)
        if counts is not None:
            self.registry.register(_StatementCollector(counts))

    def on_wallet_check(self, check: WalletCheck) -> None:
        """The balance alert job's last reading (floats: Prometheus has no decimals)."""
        for balance in check.balances:
            self.cryptopay_available.labels(balance.asset).set(float(balance.available))
            self.cryptopay_onhold.labels(balance.asset).set(float(balance.onhold))

    def on_payment(self, outcome: PaymentOutcome) -> None:
        if outcome.credited:
            self.payments_credited.labels(outcome.provider).inc()
            self.credits_sold.labels(outcome.provider).inc(outcome.credits)

    def record_webhook(self, source: str, outcome: str) -> None:
        self.webhook_requests.labels(source, outcome).inc()

    def record_pre_checkout(self, seconds: float) -> None:
        self.pre_checkout_seconds.observe(seconds)

    def record_bot_api_call(self, method: str, outcome: str, seconds: float) -> None:
        self.bot_api_calls.labels(method, outcome).inc()
        self.bot_api_seconds.labels(method).observe(seconds)

    def record_http(self, route: str, status: int, seconds: float | None = None) -> None:
        self.http_requests.labels(route, f"{status // 100}xx").inc()
        if seconds is not None:
            self.http_seconds.labels(route).observe(seconds)

    def record_job_run(self, job: str, outcome: str, seconds: float,
                       counts: dict[str, int]) -> None:
        """The scheduler's hook: each run, and the outbox backlog the dispatch job read."""
        self.job_runs.labels(job, outcome).inc()
        self.job_seconds.labels(job).observe(seconds)
        if "backlog" in counts:
            self.outbox_backlog.set(counts["backlog"])
            self.outbox_oldest_seconds.set(counts.get("oldest_pending_seconds", 0))

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
