"""The payment providers Starport knows, by their configuration names."""

from __future__ import annotations

from enum import StrEnum


class Provider(StrEnum):
    TELEGRAM_STARS = "telegram_stars"
    CRYPTOPAY = "cryptopay"
    TELEGRAM_PAYMENTS = "telegram_payments"  # cards through a provider token, in fiat
