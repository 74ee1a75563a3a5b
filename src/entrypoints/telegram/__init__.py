"""Telegram updates: routing shared by the webhook and long polling."""

from entrypoints.telegram.fields import MalformedUpdate
from entrypoints.telegram.updates import handle_update, route_update

__all__ = ["MalformedUpdate", "handle_update", "route_update"]
