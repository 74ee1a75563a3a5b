"""Telegram updates: routing shared by the webhook and long polling."""
