"""The Crypto Pay Transfer object: coins the app sent from its balance to a Telegram user."""

from __future__ import annotations

from typing import Any

from starport.adapters.cryptopay.invoice import Amount, Integer, Model, When
from starport.adapters.text import Received


class Transfer(Model):
    """A completed transfer; `spend_id` is the caller's idempotency key (Crypto Pay 1.5+)."""

    transfer_id: Integer
    spend_id: Received | None = None
    user_id: Integer
    asset: Received
    amount: Amount
    status: Received  # "completed": Crypto Pay answers only once the coins have moved
    completed_at: When
    comment: Received | None = None

    @classmethod
    def from_json(cls, data: Any) -> Transfer:
        """Raises ValueError (a pydantic ValidationError) on anything malformed."""
        return cls.model_validate(data)
