"""The admin's commands from the shell: credits adjusted once per key and named on the ledger,
a new events secret, and the events listed (a real `starport` process on SQLite)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from features.drivers.http_database import sqlite_url
from test_e2e_operator_mistakes import one_line, starport

pytestmark = pytest.mark.slow


def migrated(tmp_path: Path) -> dict[str, str]:
    env = {"DATABASE_URL": sqlite_url(tmp_path)}
    done = starport("db", "upgrade", env=env)
    assert done.returncode == 0, done.stderr
    return env


def test_credits_are_adjusted_once_per_key_and_a_take_past_the_balance_is_refused(
    tmp_path: Path,
) -> None:
    env = migrated(tmp_path)

    granted = starport("credits", "adjust", "ann", "+50", "--reason", "goodwill", "--key",
                       "k1", "--by", "ann", env=env)
    again = starport("credits", "adjust", "ann", "+50", "--reason", "goodwill", "--key", "k1",
                     "--by", "ann", env=env)
    refused = starport("credits", "adjust", "ann", "-80", "--reason", "fee", env=env)
    taken = starport("credits", "adjust", "ann", "-80", "--reason", "fee", "--allow-debt",
                     env=env)

    assert granted.returncode == 0, granted.stderr
    assert json.loads(granted.stdout) == {"userId": "ann", "balance": 50, "adjusted": 50,
                                          "replayed": False}
    assert json.loads(again.stdout)["replayed"] is True
    assert "user:ann holds 50 credits, 80 needed" in one_line(refused)
    assert json.loads(taken.stdout)["balance"] == -30


def test_an_events_secret_is_made_and_the_events_are_listed(tmp_path: Path) -> None:
    env = migrated(tmp_path)

    secret = starport("events", "secret", env=env).stdout.strip()
    listed = starport("events", "list", "--status", "failed", env=env)

    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    missing = starport("events", "resend", "no-such-event", env=env)
    assert "no event 'no-such-event'" in one_line(missing)
