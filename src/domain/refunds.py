"""A refund of a paid session: who asked for it, and what it did to the user's credits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RefundInitiator(StrEnum):
    ADMIN = "admin"  # we asked the provider to return the money
    PROVIDER = "provider"  # the provider tells us it returned the money (e.g. a dispute)
    RECORDED = "recorded"  # an admin returned it outside Starport (a dashboard) and records it


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    session_id: str
    user_id: str
    provider: str
    charge_id: str
    credits: int
    initiated_by: RefundInitiator
    created_at: datetime
    reason: str = ""
    debt: int = 0  # credits the user owes because they had already spent them
