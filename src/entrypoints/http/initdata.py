"""Telegram Mini App initData: verify its HMAC (core.telegram.org/bots/webapps, "Validating data
received via the Mini App") and its age, and read the user from it."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

MAX_LENGTH = 8192
CLOCK_SKEW = timedelta(seconds=60)  # an auth_date slightly in the future is a skewed clock


class InvalidInitData(Exception):
    """Not signed by our bot, too old, or malformed; the message says which (no secrets)."""


@dataclass(frozen=True)
class MiniAppUser:
    telegram_user_id: int
    first_name: str
    auth_date: datetime
    language_code: str | None = None  # the user's Telegram app language, when it says

    @property
    def user_id(self) -> str:
        return str(self.telegram_user_id)


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    # Every received field but `hash`, sorted. `signature` (the Ed25519 one for third parties)
    # is a received field too, and Telegram's HMAC covers it, so it stays in.
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash").encode()


def sign_init_data(bot_token: str, fields: dict[str, str]) -> str:
    """initData as Telegram would send it for these fields (for tests and the sandbox)."""
    digest = hmac.new(_secret_key(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def verify_init_data(raw: str, bot_token: str, now: datetime, max_age: timedelta
                     ) -> MiniAppUser:
    """The user of a genuine, fresh initData string; InvalidInitData otherwise."""
    if not raw or len(raw) > MAX_LENGTH:
        raise InvalidInitData("initData is empty or too long")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInitData("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("initData repeats a field")
    received = fields.get("hash", "")
    expected = hmac.new(_secret_key(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.lower().encode("ascii", "replace")):
        raise InvalidInitData("initData is not signed by this bot")
    auth_date = _auth_date(fields.get("auth_date", ""))
    if now - auth_date > max_age:
        raise InvalidInitData("initData has expired; reopen the Mini App")
    if auth_date - now > CLOCK_SKEW:
        raise InvalidInitData("initData is dated in the future")
    user_id, first_name, language_code = _user(fields.get("user", ""))
    return MiniAppUser(user_id, first_name, auth_date, language_code)


def _auth_date(value: str) -> datetime:
    if not value.isdigit():
        raise InvalidInitData("initData has no valid auth_date")
    return datetime.fromtimestamp(int(value), tz=UTC)


def _user(value: str) -> tuple[int, str, str | None]:
    try:
        user = json.loads(value)
    except ValueError:
        raise InvalidInitData("initData has no user") from None
    if not isinstance(user, dict):
        raise InvalidInitData("initData has no user")
    user_id = user.get("id")
    if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
        raise InvalidInitData("initData's user has no valid id")
    first_name, language_code = user.get("first_name"), user.get("language_code")
    return (user_id, first_name if isinstance(first_name, str) else "",
            language_code if isinstance(language_code, str) else None)
