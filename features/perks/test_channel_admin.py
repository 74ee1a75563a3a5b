"""Scenarios of features/perks/channel_admin.feature."""

from __future__ import annotations

from pytest_bdd import scenarios

from features.perks.perk_steps import *  # noqa: F403 (the steps are fixtures of this module)

scenarios("perks/channel_admin.feature")
