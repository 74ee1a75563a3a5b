"""One user across the bot and the app: every step is shared (features/conftest.py)."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios("chat/one_user.feature")
