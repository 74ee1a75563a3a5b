"""The one composition root: configuration in, a running Runtime out. The only module that
names concrete adapters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers

from starport.adapters.catalog_toml import load_catalog
from starport.adapters.clock import SystemClock
from starport.adapters.cryptopay.balances import CryptoPayBalances
from starport.adapters.cryptopay.client import CryptoPayClient
from starport.adapters.cryptopay.provider import CryptoPayProvider
from starport.adapters.events.webhook import WebhookEvents
from starport.adapters.ids import RandomIds
from starport.adapters.memory.job_lock import MemoryJobLock
from starport.adapters.memory.unit_of_work import MemoryDatabase
from starport.adapters.telegram.card_provider import TelegramPaymentsProvider
from starport.adapters.telegram.client import BotApiClient
from starport.adapters.telegram.gateways import TelegramChannel, TelegramMessenger
from starport.adapters.telegram.objects import WebAppMenuButton
from starport.adapters.telegram.stars_provider import TelegramStarsProvider
from starport.adapters.telegram.throttle import Throttle
from starport.application.deps import Deps, Settings
from starport.application.messagebus import MessageBus
from starport.application.outbox import RECORD_EVERY, Sender
from starport.application.ports import PaymentProvider
from starport.domain.providers import Provider
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.runtime import Runtime
from starport.entrypoints.telegram.bot_commands import BOT_COMMANDS, MENU_BUTTON_TEXT
from starport.entrypoints.telegram.polling import ALLOWED_UPDATES


def _sql_database(config: StarportConfig) -> Any:
    from starport.adapters.sql.database import (
        SqlDatabase,  # imported lazily: memory mode needs no driver
    )

    return SqlDatabase(config.database_url,
                       connect_timeout=config.starport_db_connect_timeout_seconds,
                       statement_timeout=config.starport_db_statement_timeout_seconds)


def _shared_pace(config: StarportConfig, database: Any) -> Any:
    """The bot's schedule in the database, when Bot API pacing is shared (see config)."""
    wanted = config.telegram_shared_pacing
    if config.starport_repository != "sql" or wanted == "off" or (
            wanted == "auto" and database.dialect != "postgresql"):
        return None
    from starport.adapters.sql.pace import SqlPace

    bot = (config.telegram_bot_token or "sandbox").split(":", 1)[0]
    return SqlPace(database, f"bot:{bot}")


def _sql_job_lock(database: Any) -> Any:
    """PostgreSQL: an advisory lock; SQLite: a file lock beside the database file."""
    from starport.adapters.sql.job_lock import FileJobLock, PostgresJobLock

    dialect = getattr(database, "dialect", None)
    if dialect is None:  # a test's stand-in database: no engine to lock with
        return MemoryJobLock()
    if dialect != "sqlite":
        return PostgresJobLock(database.session_engine)
    path = database.engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return MemoryJobLock()  # a private database: no other process can share it
    return FileJobLock(path)


def _enabled(names: list[str], **available: Callable[[], PaymentProvider]
             ) -> Mapping[Provider, PaymentProvider]:
    """Only the providers PAYMENT_PROVIDERS names are built."""
    return {Provider(name): available[name]() for name in names}


def _settings(config: StarportConfig) -> Settings:
    return Settings(
        bot_username=config.telegram_bot_username,
        bot_name=config.starport_bot_name,
        session_ttl=timedelta(minutes=config.starport_session_ttl_minutes),
        channel_id=config.telegram_channel_id,
        join_bonus_credits=config.starport_join_bonus_credits,
        invite_ttl=timedelta(hours=config.starport_invite_ttl_hours),
        limits=config.payment_limits,
        delivery_retention=timedelta(days=config.starport_inbox_retention_days),
        admin_chat_id=config.starport_admin_chat_id,
        **({"support_contact": config.starport_support_contact}
           if config.starport_support_contact else {}),
        balance_alerts=config.balance_alert_thresholds,
        events_enabled=config.starport_events_url is not None,
        support_chat_id=config.starport_support_chat_id,
        support_idle=timedelta(hours=config.starport_support_idle_hours),
        default_language=config.starport_default_language,
        languages=config.languages,
    )


def _events(config: StarportConfig) -> WebhookEvents | None:
    if config.starport_events_url is None or config.starport_events_secret is None:
        return None
    return WebhookEvents(config.starport_events_url, config.starport_events_secret)


def _wallet(config: StarportConfig, client: CryptoPayClient) -> CryptoPayBalances | None:
    return CryptoPayBalances(client) if "cryptopay" in config.providers else None


def _sender(config: StarportConfig, deps: Deps, database: Any) -> Sender | None:
    """After a commit, outbox items go out at once ("background": the caller does not wait;
    "inline": it does, for tests), or only through the dispatch job ("job")."""
    if config.starport_outbox_dispatch == "job":
        return None
    paced = getattr(database, "dialect", None) == "postgresql"
    sender = Sender(deps, deps.settings.outbox_lease, record_every=RECORD_EVERY if paced else 0.0)
    database.sender = sender  # the units of work hand it what they queued
    return sender


def _bus(config: StarportConfig, deps: Deps, sender: Sender | None) -> MessageBus:
    inline = sender is not None and config.starport_outbox_dispatch == "inline"
    return MessageBus(deps, settle=sender.drain if inline and sender else None)


class Container(containers.DeclarativeContainer):
    config = providers.Dependency(instance_of=StarportConfig)
    on_bot_api_call = providers.Object(None)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIds)
    catalog = providers.Singleton(load_catalog, config.provided.starport_catalog)
    database = providers.Selector(
        config.provided.starport_repository,
        sql=providers.Singleton(_sql_database, config),
        memory=providers.Singleton(MemoryDatabase),
    )
    job_lock = providers.Selector(
        config.provided.starport_repository,
        sql=providers.Singleton(_sql_job_lock, database),
        memory=providers.Singleton(MemoryJobLock),
    )

    throttle = providers.Singleton(
        Throttle, per_second=config.provided.telegram_rate_per_second,
        per_chat_interval=config.provided.telegram_chat_interval_seconds,
        shared=providers.Singleton(_shared_pace, config, database))
    bot_api = providers.Singleton(
        BotApiClient,
        token=config.provided.telegram_bot_token,
        base_url=config.provided.telegram_api_url,
        test_env=config.provided.telegram_test_env,
        on_call=on_bot_api_call,
        on_flood=throttle.provided.hold_off,
    )
    cryptopay_api = providers.Singleton(
        CryptoPayClient,
        base_url=config.provided.cryptopay_api_url,
        token=config.provided.cryptopay_api_token,
    )
    stars = providers.Singleton(TelegramStarsProvider, bot_api)
    cryptopay = providers.Singleton(
        CryptoPayProvider, cryptopay_api, bot_username=config.provided.telegram_bot_username,
        accepted_assets=config.provided.accepted_assets)
    cards = providers.Singleton(TelegramPaymentsProvider, bot_api,
                                config.provided.telegram_payments_provider_token)
    payment_providers = providers.Singleton(
        _enabled, config.provided.providers,
        telegram_stars=stars.provider, cryptopay=cryptopay.provider,
        telegram_payments=cards.provider,
    )
    messenger = providers.Singleton(TelegramMessenger, bot_api, throttle)
    channel = providers.Singleton(TelegramChannel, bot_api, throttle)
    settings = providers.Singleton(_settings, config)
    wallet = providers.Singleton(_wallet, config, cryptopay_api)
    events = providers.Singleton(_events, config)

    deps = providers.Singleton(
        Deps, uow=database, clock=clock, ids=ids, catalog=catalog,
        providers=payment_providers, messenger=messenger, channel=channel, settings=settings,
        wallet=wallet, events=events,
    )
    sender = providers.Singleton(_sender, config, deps, database)
    bus = providers.Singleton(_bus, config, deps, sender)


def build_runtime(config: StarportConfig | None = None, *,
                  on_bot_api_call: Callable[[str, str, float], None] | None = None,
                  **overrides: Any) -> Runtime:
    """Wire everything from configuration; `overrides` replace providers by name (tests)."""
    config = config or StarportConfig()
    container = Container(config=config)
    container.on_bot_api_call.override(on_bot_api_call)
    for name, value in overrides.items():
        getattr(container, name).override(providers.Object(value))
    database = container.database()
    runtime = Runtime(
        config=config, deps=container.deps(), bus=container.bus(), sender=container.sender(),
        ping=getattr(database, "ping", _always_up), job_lock=container.job_lock(),
        unready=getattr(database, "unready", None),
        database=database,
        telegram=container.bot_api(),
        cryptopay=container.cryptopay_api() if config.cryptopay_api_token else None,
    )
    runtime.closers.append(runtime.telegram.aclose)
    if runtime.cryptopay is not None:
        runtime.closers.append(runtime.cryptopay.aclose)
    events = container.events()
    if isinstance(events, WebhookEvents):
        runtime.closers.append(events.aclose)
    if hasattr(database, "dispose"):
        runtime.closers.append(database.dispose)
    if config.sandbox:
        _attach_sandbox(runtime)
    return runtime


def _attach_sandbox(runtime: Runtime) -> None:
    from starport.sandbox.cryptopay import SandboxCryptoPay
    from starport.sandbox.telegram import SandboxTelegram

    config = runtime.config
    runtime.sandbox_telegram = SandboxTelegram(default_token=config.telegram_bot_token or "")
    runtime.sandbox_cryptopay = SandboxCryptoPay(
        token=config.cryptopay_api_token or "",
        webhook_url=f"{config.base_url}/api/cryptopay/webhook",
    )
    runtime.closers.append(runtime.sandbox_telegram.aclose)
    runtime.starters.append(lambda: connect_sandbox(runtime))


async def connect_sandbox(runtime: Runtime) -> None:
    """Point the sandbox Telegram's webhook at this server (in-process: no HTTP during start),
    and have both emulators number their updates and invoices after the ones this database has
    seen: a restarted `make run` starts fresh emulators over the same database."""
    sandbox = runtime.sandbox_telegram
    if sandbox is None:
        return
    config = runtime.config
    async with runtime.deps.uow(read_only=True) as uow:
        telegram_seen = await uow.deliveries.last_update_id("telegram")
        cryptopay_seen = await uow.deliveries.last_update_id("cryptopay")
        invoices_seen = await uow.sessions.last_invoice_number(Provider.CRYPTOPAY)
    sandbox.continue_updates_after(telegram_seen or 0, config.telegram_bot_token)
    if runtime.sandbox_cryptopay is not None:
        runtime.sandbox_cryptopay.continue_after(invoice_id=invoices_seen or 0,
                                                 update_id=cryptopay_seen or 0)
    await sandbox.call(config.telegram_bot_token, "setWebhook", {
        "url": f"{config.base_url}/api/telegram/webhook",
        "secret_token": config.telegram_webhook_secret,
        "allowed_updates": ALLOWED_UPDATES,
    })
    if config.starport_bot_mode == "full":
        await sandbox.call(config.telegram_bot_token, "setMyCommands", {"commands": [
            {"command": name, "description": text} for name, text in BOT_COMMANDS]})
        if config.starport_miniapp_url:
            await sandbox.call(config.telegram_bot_token, "setChatMenuButton", {
                "menu_button": WebAppMenuButton(MENU_BUTTON_TEXT,
                                                config.starport_miniapp_url).to_api()})


async def _always_up() -> None:
    return None
