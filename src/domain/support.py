"""Support that reaches a human: a user's conversation with the support chat, and its messages
(what the user wrote, relayed to the support chat; what an agent answered, sent to the user)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Direction(StrEnum):
    IN = "in"  # from the user, relayed to the support chat
    OUT = "out"  # an agent's answer, sent to the user


@dataclass(eq=False)
class SupportConversation:
    """Opened by /support or /paysupport; ends when the user sends /done (or /cancel), or after
    `idle` without a message either way (noticed at the user's next message)."""

    id: str
    telegram_user_id: int
    first_name: str
    username: str | None
    opened_at: datetime
    last_message_at: datetime
    closed_at: datetime | None = None
    language: str | None = None  # the user's Telegram language_code: the answers' language

    @classmethod
    def open(cls, conversation_id: str, telegram_user_id: int, first_name: str,
             username: str | None, now: datetime, language: str | None = None
             ) -> SupportConversation:
        return cls(conversation_id, telegram_user_id, first_name, username, now, now,
                   language=language)

    def is_open(self, now: datetime, idle: timedelta) -> bool:
        return self.closed_at is None and now < self.last_message_at + idle

    def expire_if_idle(self, now: datetime, idle: timedelta) -> bool:
        """Close it as of when it went idle; True if this closed it."""
        if self.closed_at is not None or self.is_open(now, idle):
            return False
        self.closed_at = self.last_message_at + idle
        return True

    def close(self, now: datetime) -> bool:
        """True if it was open until now."""
        if self.closed_at is not None:
            return False
        self.closed_at = now
        return True

    def touch(self, now: datetime) -> None:
        """A message either way keeps it going."""
        self.last_message_at = max(self.last_message_at, now)


@dataclass(frozen=True, slots=True)
class SupportMessage:
    id: str
    conversation_id: str
    direction: Direction
    sender_telegram_id: int  # the user (in) or the agent who answered (out)
    sender_name: str
    text: str
    sent_at: datetime
    # Where the user's message was relayed (in; set once Telegram sent it): an agent's reply
    # to that message of that chat is the answer to this one.
    support_chat_id: int | None = None
    support_message_id: int | None = None
