"""Emulated Crypto Pay API (invoices, balances, signed webhooks, a payer) served over HTTP."""

from starport.sandbox.cryptopay.app import create_app
from starport.sandbox.cryptopay.emulator import DEFAULT_TOKEN, PayResult, SandboxCryptoPay
from starport.sandbox.cryptopay.errors import ApiError
from starport.sandbox.cryptopay.signing import SIGNATURE_HEADER, sign
from starport.sandbox.cryptopay.webhooks import Delivery, WebhookMode, WebhookPolicy

__all__ = [
    "DEFAULT_TOKEN",
    "SIGNATURE_HEADER",
    "ApiError",
    "Delivery",
    "PayResult",
    "SandboxCryptoPay",
    "WebhookMode",
    "WebhookPolicy",
    "create_app",
    "sign",
]
