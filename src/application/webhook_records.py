"""Raw webhook records: each accepted (or forged) delivery as received, for dispute review."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(eq=False)
class RawWebhook:
    """One delivery: the exact body, the headers worth keeping (never a secret or signature:
    only whether it verified), the ids found in it at receipt, and what came of it."""

    id: str
    source: str  # "telegram" | "cryptopay"
    received_at: datetime
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    verified: bool = True
    update_id: str | None = None
    charge_id: str | None = None  # Telegram's telegram_payment_charge_id
    invoice_id: str | None = None  # Crypto Pay's invoice_id
    session_id: str | None = None  # the invoice payload: our payment session
    outcome: str | None = None  # None while being handled (or if the process died meanwhile)
    outcome_at: datetime | None = None
    stored: bool = field(default=False, compare=False)  # not persisted: written already?


@dataclass(frozen=True)
class WebhookQuery:
    update_id: str | None = None
    charge_id: str | None = None
    invoice_id: str | None = None
    session_id: str | None = None
    source: str | None = None
    limit: int = 50


# The delivery being handled in this context: the unit of work writes it in the first
# transaction it commits, so a delivery and its effect are stored together or not at all.
pending_webhook: contextvars.ContextVar[RawWebhook | None] = contextvars.ContextVar(
    "pending_webhook", default=None
)
