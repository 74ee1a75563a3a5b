"""Closed vocabularies of the Crypto Pay API."""

from enum import StrEnum


class InvoiceStatus(StrEnum):
    ACTIVE = "active"
    PAID = "paid"
    EXPIRED = "expired"


class CurrencyType(StrEnum):
    CRYPTO = "crypto"
    FIAT = "fiat"


class PaidButtonName(StrEnum):
    VIEW_ITEM = "viewItem"
    OPEN_CHANNEL = "openChannel"
    OPEN_BOT = "openBot"
    CALLBACK = "callback"
