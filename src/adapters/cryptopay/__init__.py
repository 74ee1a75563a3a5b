"""Crypto Pay (Crypto Bot) API adapter: client, models, errors and webhook verification."""

from starport.adapters.cryptopay.client import (
    MAINNET_URL,
    TESTNET_URL,
    TOKEN_HEADER,
    CryptoPayClient,
)
from starport.adapters.cryptopay.enums import CurrencyType, InvoiceStatus, PaidButtonName
from starport.adapters.cryptopay.errors import (
    CryptoPayError,
    CryptoPayUnavailable,
    ExpiresInInvalid,
    InsufficientFunds,
    InvalidParameter,
    InvalidResponse,
    InvalidSignature,
    InvoiceNotFound,
    MalformedUpdate,
    MethodDisabled,
    MethodNotFound,
    TooManyRequests,
    Unauthorized,
)
from starport.adapters.cryptopay.invoice import Invoice
from starport.adapters.cryptopay.models import App, Balance, CryptoPayUpdate, Currency, ExchangeRate
from starport.adapters.cryptopay.signature import SIGNATURE_HEADER, sign, verify_signature
from starport.adapters.cryptopay.transfer import Transfer
from starport.adapters.cryptopay.webhook import parse_update, verify_and_parse

__all__ = [
    "MAINNET_URL",
    "SIGNATURE_HEADER",
    "TESTNET_URL",
    "TOKEN_HEADER",
    "App",
    "Balance",
    "CryptoPayClient",
    "CryptoPayError",
    "CryptoPayUnavailable",
    "CryptoPayUpdate",
    "Currency",
    "CurrencyType",
    "ExchangeRate",
    "ExpiresInInvalid",
    "InsufficientFunds",
    "InvalidParameter",
    "InvalidResponse",
    "InvalidSignature",
    "Invoice",
    "InvoiceNotFound",
    "InvoiceStatus",
    "MalformedUpdate",
    "MethodDisabled",
    "MethodNotFound",
    "PaidButtonName",
    "TooManyRequests",
    "Transfer",
    "Unauthorized",
    "parse_update",
    "sign",
    "verify_and_parse",
    "verify_signature",
]
