"""The bot's command menu: what `starport telegram set-commands` sets and `doctor` expects."""

from __future__ import annotations

BOT_COMMANDS = [
    ("start", "Welcome and menu"),
    ("buy", "Buy credits"),
    ("balance", "Your credits"),
    ("terms", "Terms of service"),
    ("support", "Get help"),
    ("paysupport", "Help with a payment"),
]
