"""Typed reads of a Telegram update's fields; a wrong shape is a MalformedUpdate, not a crash."""

from __future__ import annotations

from typing import Any

from domain.perks import MemberStatus


class MalformedUpdate(ValueError):
    """The update lacks a field its type requires (or has it with the wrong type)."""


def obj(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise MalformedUpdate(f"{key} must be an object")
    return value


def integer(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedUpdate(f"{key} must be an integer")
    return value


def text(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise MalformedUpdate(f"{key} must be a string")
    return value


def first_name(user: Any) -> str:
    name = user.get("first_name") if isinstance(user, dict) else None
    return name if isinstance(name, str) else ""


def update_id(update: Any) -> int:
    if not isinstance(update, dict):
        raise MalformedUpdate("an update is a JSON object")
    return integer(update, "update_id")


def command(message_text: str, bot_username: str) -> tuple[str, str] | None:
    """(`/start`, `pay_x`) from "/start@our_bot pay_x"; None if not a command to this bot."""
    if not message_text.startswith("/"):
        return None
    head, _, rest = message_text.strip().partition(" ")
    name, _, addressee = head.partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return None
    return name.lower(), rest.strip()


def member_status(member: dict[str, Any]) -> MemberStatus:
    """Telegram's ChatMember status; a restricted user who is not a member is out."""
    raw = text(member, "status")
    try:
        status = MemberStatus(raw)
    except ValueError:
        return MemberStatus.UNKNOWN
    if status is MemberStatus.RESTRICTED and member.get("is_member") is False:
        return MemberStatus.LEFT
    return status
