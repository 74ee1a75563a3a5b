"""Transfers of the sandbox app: coins sent from its balance to a Telegram user, once per
spend id, only when the app has transfers enabled (off by default, as for a new real app)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from starport.sandbox.cryptopay import catalog, validation
from starport.sandbox.cryptopay.catalog import plain
from starport.sandbox.cryptopay.errors import ApiError
from starport.sandbox.cryptopay.invoices import iso

MAX_SPEND_ID = 64
MAX_COMMENT = 1024
MIN_USD = Decimal("1")  # Crypto Pay's transfer limits, in USD at the current rate
MAX_USD = Decimal("25000")


@dataclass(frozen=True, kw_only=True)
class SandboxTransfer:
    transfer_id: int
    spend_id: str
    user_id: int
    asset: str
    amount: Decimal
    completed_at: datetime
    comment: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "transfer_id": self.transfer_id,
            "spend_id": self.spend_id,
            "user_id": self.user_id,
            "asset": self.asset,
            "amount": plain(self.amount),
            "status": "completed",
            "completed_at": iso(self.completed_at),
        }
        if self.comment is not None:
            data["comment"] = self.comment
        return data


@dataclass
class Transfers:
    """Every transfer made, by spend id; `enabled` is the app's setting in @CryptoBot."""

    enabled: bool = False
    made: dict[str, SandboxTransfer] = field(default_factory=dict)

    def transfer(self, params: Mapping[str, Any], available: Mapping[str, Decimal],
                 debit: Callable[[str, Decimal], None], now: datetime) -> SandboxTransfer:
        """The transfer, or the first ApiError the real API would give. A spend id seen
        before answers its transfer again and moves nothing."""
        if not self.enabled:
            raise ApiError(403, "METHOD_DISABLED")
        fields = _transfer_fields(params)
        earlier = self.made.get(fields["spend_id"])
        if earlier is not None:
            return earlier
        if available.get(fields["asset"], Decimal(0)) < fields["amount"]:
            raise ApiError(400, "INSUFFICIENT_FUNDS")
        debit(fields["asset"], fields["amount"])
        made = SandboxTransfer(transfer_id=len(self.made) + 1, completed_at=now, **fields)
        self.made[made.spend_id] = made
        return made

    def list(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """getTransfers: newest first, filtered by asset, ids or spend id."""
        asset = params.get("asset")
        if asset is not None and not catalog.is_asset(str(asset)):
            raise validation.bad("ASSET_INVALID")
        ids = validation.id_list(params.get("transfer_ids"), "TRANSFER_IDS_INVALID")
        spend_id = params.get("spend_id")
        offset = validation.integer(params.get("offset", 0), "OFFSET_INVALID", 0, None)
        count = validation.integer(params.get("count", 100), "COUNT_INVALID", 1, 1000)
        found = [
            t for t in sorted(self.made.values(), key=lambda t: -t.transfer_id)
            if (asset is None or t.asset == asset) and (not ids or t.transfer_id in ids)
            and (spend_id is None or t.spend_id == str(spend_id))
        ]
        return {"items": [t.to_json() for t in found[offset:offset + count]]}


def _transfer_fields(params: Mapping[str, Any]) -> dict[str, Any]:
    if params.get("user_id") in (None, ""):
        raise validation.bad("PARAM_USER_ID_REQUIRED")
    user_id = validation.integer(params["user_id"], "USER_ID_INVALID", 1, None)
    asset = validation.code(params, "asset", catalog.is_asset)
    amount = validation.amount(params.get("amount"))
    spend_id = params.get("spend_id")
    if spend_id in (None, ""):
        raise validation.bad("PARAM_SPEND_ID_REQUIRED")
    if len(str(spend_id)) > MAX_SPEND_ID:
        raise validation.bad("SPEND_ID_TOO_LONG")
    usd = catalog.usd_value(amount, asset)
    if usd < MIN_USD:
        raise validation.bad("AMOUNT_TOO_SMALL")
    if usd > MAX_USD:
        raise validation.bad("AMOUNT_TOO_LARGE")
    comment = params.get("comment")
    if comment is not None:
        comment = validation.text(comment, "comment", MAX_COMMENT, len(str(comment)))
    return {"user_id": user_id, "asset": asset, "amount": amount, "spend_id": str(spend_id),
            "comment": comment}
