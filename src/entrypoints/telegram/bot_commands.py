"""The bot's command menu and menu button: what `starport telegram set-commands` sets and `doctor`
expects."""

from __future__ import annotations

BOT_COMMANDS = [
    ("start", "Welcome and menu"),
    ("buy", "Buy credits"),
    ("balance", "Your credits"),
    ("terms", "Terms of service"),
    ("support", "Get help"),
    ("paysupport", "Help with a payment"),
]

MENU_BUTTON_TEXT = "Buy credits"  # the menu button, when STARPORT_MINIAPP_URL is set
