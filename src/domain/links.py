"""One user across bot and app: a Telegram account linked to a host application's user, and the
one-time tokens a host app hands out for the bot to make that link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from starport.domain.errors import LinkTokenInvalid

LINK_PREFIX = "link_"  # the deep link's start parameter: link_<token>


class LinkedVia(StrEnum):
    PAYMENT = "payment"  # the Telegram user paid a session the host app opened for its user
    HOST_API = "host_api"  # the host app linked them (server token)
    LINK_TOKEN = "link_token"  # the user opened the host app's one-time link in the bot


@dataclass(frozen=True, slots=True)
class TelegramLink:
    """A Telegram account belongs to one host user at a time (a user may have several)."""

    telegram_user_id: int
    user_id: str
    linked_at: datetime
    via: LinkedVia


def telegram_only_user(telegram_user_id: int) -> str:
    """The user id of someone known only by Telegram (bought in the bot before any link)."""
    return str(telegram_user_id)


@dataclass(eq=False)
class LinkToken:
    token: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    used_by: int | None = None  # the Telegram user who redeemed it
    used_at: datetime | None = None

    def redeem(self, telegram_user_id: int, now: datetime) -> None:
        """Once, before it expires; the same user redeeming it again is a no-op."""
        if self.used_by is not None:
            if self.used_by == telegram_user_id:
                return
            raise LinkTokenInvalid("this link was used already: ask for a new one")
        if now >= self.expires_at:
            raise LinkTokenInvalid("this link has expired: ask for a new one")
        self.used_by, self.used_at = telegram_user_id, now
