"""What `serve` checks before it listens, and `/readyz` while it runs: a database that answers
and is migrated, tokens the providers accept. A failure is one line that says what to do."""

from __future__ import annotations

import asyncio
import logging

import structlog

from starport.adapters.cryptopay.errors import Unauthorized as CryptoPayUnauthorized
from starport.adapters.telegram.errors import TelegramUnauthorized
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.failures import StartRefused, known_failure
from starport.entrypoints.runtime import Runtime

log = structlog.get_logger("starport.checks")
TIMEOUT = 10.0


def database_state(config: StarportConfig) -> tuple[str | None, str]:
    """The database's migration revision and the one the code expects (SQL only)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # before alembic logs on import
    from starport.adapters.sql import migrate

    return migrate.current(config.database_url), migrate.head()


def check_database(config: StarportConfig, *, migrate_it: bool) -> None:
    """Refuse to serve a database that cannot be reached or is not migrated (or migrate it)."""
    if config.starport_repository != "sql":
        return
    try:
        current, head = database_state(config)
        if current != head and migrate_it:
            from starport.adapters.sql import migrate

            migrate.upgrade(config.database_url,
                            default_language=config.starport_default_language)
            current = head
    except Exception as exc:
        message = known_failure(exc)
        if message is None:
            raise
        raise StartRefused(message) from exc
    if current != head:
        raise StartRefused(
            f"the database at DATABASE_URL is at migration {current or 'none'}, this Starport "
            f"needs {head}: run `starport db upgrade` (or `starport serve --migrate`)")


async def check_tokens(runtime: Runtime) -> None:
    """The bot token (and the Crypto Pay token) as the providers see them: a token they refuse
    stops the start; a provider that cannot be reached now is only logged."""
    calls = [("Telegram", runtime.telegram.get_me())]
    if runtime.cryptopay is not None and "cryptopay" in runtime.config.providers:
        calls.append(("Crypto Pay", runtime.cryptopay.get_me()))
    for name, call in calls:
        try:
            await asyncio.wait_for(call, TIMEOUT)
        except (TelegramUnauthorized, CryptoPayUnauthorized) as exc:
            raise StartRefused(known_failure(exc) or str(exc)) from exc
        except Exception as exc:
            log.warning("start.provider_unreachable", provider=name,
                        error=known_failure(exc) or f"{type(exc).__name__}: {exc}")


async def set_webhook(runtime: Runtime) -> None:
    """`STARPORT_SET_WEBHOOK=true`: point Telegram at this server's webhook, with the secret and
    the update types Starport handles, at every start (so a new URL or secret takes effect)."""
    from starport.entrypoints.telegram.polling import ALLOWED_UPDATES

    config = runtime.config
    if not config.starport_public_url or not config.telegram_webhook_secret:
        raise StartRefused("STARPORT_SET_WEBHOOK needs STARPORT_PUBLIC_URL (the HTTPS address "
                           "Telegram reaches) and TELEGRAM_WEBHOOK_SECRET")
    url = f"{config.starport_public_url.rstrip('/')}/api/telegram/webhook"
    try:
        await asyncio.wait_for(runtime.telegram.set_webhook(
            url, secret_token=config.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES),
            TIMEOUT)
    except TelegramUnauthorized:
        raise
    except Exception as exc:  # Telegram away now: serve anyway, the webhook set before holds
        log.warning("start.webhook_not_set", url=url,
                    error=known_failure(exc) or f"{type(exc).__name__}: {exc}")
        return
    log.info("start.webhook_set", url=url)


def preflight(config: StarportConfig, *, migrate_it: bool) -> None:
    """Before `serve` listens: the database, then (outside the sandbox) the tokens."""
    check_database(config, migrate_it=migrate_it)
    if config.sandbox:
        return  # the emulators start with the server: nothing to ask yet
    from starport.entrypoints.container import build_runtime

    async def tokens() -> None:
        runtime = build_runtime(config)
        try:
            await check_tokens(runtime)
            if config.starport_set_webhook:
                await set_webhook(runtime)
        finally:
            await runtime.aclose()

    quiet = [logging.getLogger(name) for name in ("starport.adapters.telegram.client",
                                                  "starport.adapters.cryptopay.transport")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:  # the refusal is said once, by StartRefused
        logger.setLevel(logging.CRITICAL)
    try:
        asyncio.run(tokens())
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
