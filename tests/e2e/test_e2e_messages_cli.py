"""`starport messages ... --language`, and texts stored before languages existed: after
`starport db upgrade` they are the configured default language's."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_e2e_operator_mistakes import one_line, starport

pytestmark = pytest.mark.slow


def test_an_old_text_becomes_the_default_languages_and_the_cli_edits_per_language(
        tmp_path: Path) -> None:
    # Given a database at the last migration before languages, with an edited message
    path = tmp_path / "old.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{path}", "STARPORT_DEFAULT_LANGUAGE": "ru"}
    assert starport("db", "upgrade", "0008_telegram_links", env=env).returncode == 0
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO bot_messages (key, template, parse_mode, updated_by) "
                   "VALUES ('buy_menu', 'Выберите пакет:', NULL, 'ann')")
    # When it is upgraded where the default language is Russian
    assert starport("db", "upgrade", env=env).returncode == 0
    # Then the old text is the Russian one, and English readers fall back to it
    russian = json.loads(starport("messages", "show", "buy_menu", env=env).stdout)
    english = json.loads(starport("messages", "show", "buy_menu", "--language", "en",
                                  env=env).stdout)
    assert (russian["language"], russian["template"], russian["falls_back"]) == (
        "ru", "Выберите пакет:", False)
    assert (english["template"], english["falls_back"]) == ("Выберите пакет:", True)

    # When an English text is set from a file, then a label too long for a button
    text = tmp_path / "en.txt"
    text.write_text("Choose a package:\n", encoding="utf-8")
    done = starport("messages", "set", "buy_menu", "--language", "EN", "--file", str(text),
                    "--by", "bob", env=env)
    (tmp_path / "long.txt").write_text("x" * 65, encoding="utf-8")
    refused = starport("messages", "set", "button_buy", "--language", "en", "--file",
                       str(tmp_path / "long.txt"), env=env)
    # Then
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["template"] == "Choose a package:"
    assert "a button label has at most 64 characters" in one_line(refused)
    history = json.loads(starport("messages", "history", "buy_menu", env=env).stdout)
    assert [(h["language"], h["current"], h["changed_by"]) for h in history] == [
        ("en", "Choose a package:", "bob")]
