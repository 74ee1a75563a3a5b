"""Telegram Bot API adapter: an async client with typed errors and local Stars invoice rules."""

from starport.adapters.telegram.client import BotApiClient, OnCall
from starport.adapters.telegram.errors import (
    BotBlocked,
    ChatNotFound,
    InvalidInvoice,
    TelegramBadRequest,
    TelegramBadResponse,
    TelegramConflict,
    TelegramError,
    TelegramForbidden,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorized,
)
from starport.adapters.telegram.invoices import SUBSCRIPTION_PERIOD, LabeledPrice, stars_invoice
from starport.adapters.telegram.objects import (
    BotCommand,
    InlineButton,
    WebAppMenuButton,
    inline_keyboard,
)
from starport.adapters.telegram.ratelimit import RetryPolicy

__all__ = [
    "SUBSCRIPTION_PERIOD",
    "BotApiClient",
    "BotBlocked",
    "BotCommand",
    "ChatNotFound",
    "InlineButton",
    "InvalidInvoice",
    "LabeledPrice",
    "OnCall",
    "RetryPolicy",
    "TelegramBadRequest",
    "TelegramBadResponse",
    "TelegramConflict",
    "TelegramError",
    "TelegramForbidden",
    "TelegramNetworkError",
    "TelegramNotFound",
    "TelegramRetryAfter",
    "TelegramServerError",
    "TelegramUnauthorized",
    "WebAppMenuButton",
    "inline_keyboard",
    "stars_invoice",
]
