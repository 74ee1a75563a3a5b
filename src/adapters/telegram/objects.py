"""Small Bot API objects worth typing: inline keyboards, bot commands, the menu button."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InlineButton:
    """One inline keyboard button: give exactly one of `url`, `callback_data`, `pay`."""

    text: str
    url: str | None = None
    callback_data: str | None = None
    pay: bool | None = None  # must be the first button of an invoice's keyboard

    def __post_init__(self) -> None:
        actions = [a for a in (self.url, self.callback_data, self.pay) if a is not None]
        if len(actions) != 1:
            raise ValueError("an inline button needs exactly one of url, callback_data, pay")
        if self.callback_data is not None and not 1 <= len(self.callback_data.encode()) <= 64:
            raise ValueError("callback_data must be 1-64 bytes")

    def to_api(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"text": self.text, "url": self.url, "pay": self.pay}
        fields["callback_data"] = self.callback_data
        return {k: v for k, v in fields.items() if v is not None}


def inline_keyboard(rows: Sequence[Sequence[InlineButton]]) -> dict[str, Any]:
    """An InlineKeyboardMarkup for `reply_markup`."""
    return {"inline_keyboard": [[button.to_api() for button in row] for row in rows]}


@dataclass(frozen=True)
class BotCommand:
    command: str  # 1-32 of a-z, 0-9, _
    description: str  # 1-256 characters

    def to_api(self) -> dict[str, Any]:
        return {"command": self.command, "description": self.description}


@dataclass(frozen=True)
class WebAppMenuButton:
    """The chat's menu button opening a Mini App (MenuButtonWebApp)."""

    text: str
    url: str  # https://, as Telegram opens Mini Apps

    def to_api(self) -> dict[str, Any]:
        return {"type": "web_app", "text": self.text, "web_app": {"url": self.url}}
