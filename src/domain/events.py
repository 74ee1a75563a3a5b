"""Domain events: facts that happened, handled after the transaction that produced them commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Event:
    pass


@dataclass(frozen=True, slots=True)
class SessionCreated(Event):
    session_id: str
    user_id: str
    provider: str


@dataclass(frozen=True, slots=True)
class PaymentCompleted(Event):
    session_id: str
    user_id: str
    provider: str
    credits: int
    late: bool  # paid after the session had expired or been cancelled: honoured anyway


@dataclass(frozen=True, slots=True)
class SubscriptionRenewed(Event):
    session_id: str
    user_id: str
    charge_id: str
    credits: int


@dataclass(frozen=True, slots=True)
class PaymentRejected(Event):
    session_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PaymentRefunded(Event):
    session_id: str
    user_id: str
    credits: int
    initiated_by: str
    debt: int  # how far below zero the refund left the user's balance


@dataclass(frozen=True, slots=True)
class SessionExpired(Event):
    session_id: str


@dataclass(frozen=True, slots=True)
class CreditsSpent(Event):
    user_id: str
    credits: int
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class PatronInvited(Event):
    telegram_user_id: int
    invite_link: str


@dataclass(frozen=True, slots=True)
class ChannelJoined(Event):
    telegram_user_id: int


@dataclass(frozen=True, slots=True)
class ChannelLeft(Event):
    telegram_user_id: int


@dataclass(frozen=True, slots=True)
class JoinBonusGranted(Event):
    telegram_user_id: int
    user_id: str
    credits: int


@dataclass(frozen=True, slots=True)
class PatronageEnded(Event):
    telegram_user_id: int


@dataclass(frozen=True, slots=True)
class BotMessageChanged(Event):
    key: str
    previous: str
    current: str
    changed_by: str
    changed_at: datetime
