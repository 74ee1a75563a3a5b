"""Mistakes an operator makes, met by a command: one line that names the setting and the fix,
instead of a traceback. Anything else is a bug, and keeps its traceback."""

from __future__ import annotations

import socket

from starport.adapters.catalog_toml import CatalogError
from starport.adapters.cryptopay.errors import CryptoPayError
from starport.adapters.cryptopay.errors import Unauthorized as CryptoPayUnauthorized
from starport.adapters.telegram.errors import (
    TelegramError,
    TelegramNetworkError,
    TelegramUnauthorized,
)


class StartRefused(Exception):
    """A check at start failed; the message says what to do."""


def known_failure(exc: BaseException) -> str | None:
    if isinstance(exc, StartRefused | CatalogError):
        return str(exc)
    if isinstance(exc, TelegramUnauthorized):
        return ("Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the token "
                "@BotFather gave you, or unset it to run the sandbox")
    if isinstance(exc, TelegramNetworkError):
        return f"cannot reach the Bot API at TELEGRAM_API_URL: {exc}"
    if isinstance(exc, TelegramError):
        return f"Telegram refused the call: {exc}"
    if isinstance(exc, CryptoPayUnauthorized):
        return "Crypto Pay refused CRYPTOPAY_API_TOKEN: create an app token in @CryptoBot"
    if isinstance(exc, CryptoPayError):
        return f"Crypto Pay refused the call: {exc}"
    database = _database_failure(exc)
    if database is not None:
        return database
    return None


def _database_failure(exc: BaseException) -> str | None:
    """SQLAlchemy's and the drivers' connection errors, without the URL (it may carry a
    password)."""
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | ConnectionRefusedError
                  | socket.gaierror):
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        if "no such table" in reason or ("relation" in reason and "does not exist" in reason):
            return ("the database at DATABASE_URL is not migrated: run `starport db upgrade` "
                    f"({reason})")
        return f"cannot use the database at DATABASE_URL: {reason}"
    return None


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or did not answer in time (a connection refused or lost,
    a connect or statement timeout, the pool exhausted): a request meeting it gets a 503 and
    may be retried; not a bug, so logged without a traceback."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, TimeoutError | ConnectionError | InterfaceError | OperationalError
                  | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", "") or "")
        # 08: connection exception; 57014: statement timeout; 57P0x: server shutting down
        return code.startswith(("08", "57014", "57P0"))
    return False
