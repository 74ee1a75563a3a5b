"""Update delivery settings and records: retry policy, the webhook, each update's fate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class DeliverySettings:
    """Webhook retries: quick and bounded in the sandbox (Telegram retries for much longer)."""

    max_attempts: int = 5
    backoff_initial: float = 0.1
    backoff_max: float = 2.0
    timeout: float = 10.0


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Delivery:
    """One update's fate: filtered, queued (for getUpdates), pending, delivered or failed."""

    update: JSON
    status: str = "pending"
    attempts: int = 0
    responses: list[int | str] = field(default_factory=list)
    error: str | None = None

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next(k for k in self.update if k != "update_id")

    def to_json(self) -> JSON:
        return {
            "update_id": self.update_id,
            "kind": self.kind,
            "status": self.status,
            "attempts": self.attempts,
            "responses": list(self.responses),
            "error": self.error,
            "update": self.update,
        }
