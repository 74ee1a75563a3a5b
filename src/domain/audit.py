"""The admins' audit trail: who did what to which record, when and why. Written with the
change itself, never edited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AdminAction:
    id: str
    at: datetime
    admin: str  # the admin's name (STARPORT_ADMINS), "cli" from the command line
    action: str  # refund, refund_recorded, adjust_credits, bot_message_update, ...
    target: str  # what it was done to: a session id, a user id, a message key, an event id
    reason: str = ""
    detail: str = ""  # what came of it, in a few words
