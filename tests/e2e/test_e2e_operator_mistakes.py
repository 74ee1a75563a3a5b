"""The mistakes operators make, met by the `starport` command as they would meet them: one line
that names the setting and the fix, never a traceback, never a secret."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from features.drivers.http_database import sqlite_url
from test_e2e_serve_cli import SECRET, environment, free_port, serving

from starport.sandbox.serve import serve_app
from starport.sandbox.telegram import SandboxTelegram, create_app

CLI = [sys.executable, "-m", "starport.entrypoints.cli"]  # `starport`, from this checkout

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7000000001:AAserveCliTestTokenNotReal0000000"
API_SECRET = "api-s3cret-T0ken-do-not-print"
pytestmark = pytest.mark.slow


def starport(*args: str, env: dict[str, str] | None = None, timeout: float = 60
             ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STARPORT_",
                                                                      "CRYPTOPAY_", "PAYMENT_",
                                                                      "DATABASE_"))}
    base |= {"PYTHONPATH": os.pathsep.join([str(ROOT / "pkg"), str(ROOT)])}
    return subprocess.run([*CLI, *args],
                          env=base | (env or {}), capture_output=True, text=True, timeout=timeout)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exactly one line, no traceback, no secret."""
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert API_SECRET not in done.stdout + done.stderr
    assert TOKEN.split(":")[1] not in done.stdout + done.stderr
    return lines[0]


@pytest.mark.parametrize(("env", "expected"), [
    ({"DATABASE_URL": "postgres://u:pw@db.example/app"},
     "DATABASE_URL: use postgresql+asyncpg://... (not postgres://)"),
    ({"DATABASE_URL": "postgresql://u:pw@db.example/app"},
     "DATABASE_URL: use postgresql+asyncpg://... (not postgresql://)"),
    ({"STARPORT_LOG_LEVEL": "LOUD"}, "STARPORT_LOG_LEVEL: one of DEBUG, INFO"),
    ({"PAYMENT_PROVIDERS": "paypal"}, "PAYMENT_PROVIDERS: takes telegram_stars, cryptopay"),
    ({"TELEGRAM_BOT_TOKEN": TOKEN, "PAYMENT_PROVIDERS": "cryptopay"},
     "PAYMENT_PROVIDERS includes cryptopay: set CRYPTOPAY_API_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": TOKEN, "PAYMENT_PROVIDERS": "telegram_stars,telegram_payments"},
     "PAYMENT_PROVIDERS includes telegram_payments: set TELEGRAM_PAYMENTS_PROVIDER_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": TOKEN, "PAYMENT_PROVIDERS": "telegram_payments",
      "TELEGRAM_PAYMENTS_PROVIDER_TOKEN": "sk_live_s3cret"},
     "TELEGRAM_PAYMENTS_PROVIDER_TOKEN is not a payment provider token"),
    ({"STARPORT_PORT": "99999"}, "STARPORT_PORT: Input should be less than or equal to 65535"),
    ({"CRYPTOPAY_ACCEPTED_ASSETS": "usdt,ton"},
     "CRYPTOPAY_ACCEPTED_ASSETS: takes asset codes, comma-separated, e.g. USDT,TON"),
    ({"STARPORT_DEFAULT_LANGUAGE": "english"},
     "STARPORT_DEFAULT_LANGUAGE: 'english' is not a language code (e.g. en, ru, pt-br)"),
    ({"STARPORT_LANGUAGES": "en,ru,Español"},
     "STARPORT_LANGUAGES: 'Español' is not a language code (e.g. en, ru, pt-br)"),
])
def test_a_configuration_mistake_is_one_line_naming_the_variable(env: dict[str, str],
                                                                  expected: str) -> None:
    line = one_line(starport("jobs", "list", env=env | {"STARPORT_API_TOKEN": API_SECRET}))
    assert line.startswith("starport: configuration error: ")
    assert expected in line
    assert "pw@" not in line and "s3cret" not in line  # nor a password or token


@pytest.mark.parametrize(("catalog", "expected"), [
    ('[[packages]]\nid = "x"\n', "unknown key 'packages'; each package is a [[package]] table"),
    ('package = "x"\n', "each package is a [[package]] table"),
    ('[[package]]\nid = "x"\ntitle = "X"\ncredits = 10\nstars = 5.5\n',
     "package x: Stars must be a positive integer, got 5.5"),
    ('[[package]]\nid = "x"\ntitle = "X"\ncredits = 10\ncrypto = { amount = 1.5, asset = "TON" }\n',
     "package x: amounts are never floats: 1.5"),
    ('[[package]]\nid = "x"\ntitel = "X"\ncredits = 10\nstars = 5\n', "unknown key 'titel'"),
    ('[[package]]\nid = "x"\ncredits = 10\nstars = 5\n', "package x: 'title' is required"),
    ("[[package]\n", "not valid TOML"),
])
def test_a_catalog_mistake_is_one_line(tmp_path: Path, catalog: str, expected: str) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(catalog)
    line = one_line(starport("messages", "list", env={
        "STARPORT_CATALOG": str(path), "DATABASE_URL": sqlite_url(tmp_path)}))
    assert line.startswith(f"starport: STARPORT_CATALOG ({path}): ")
    assert expected in line


def test_serve_refuses_an_unmigrated_database_or_migrates_it_when_asked(tmp_path: Path
                                                                         ) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    line = one_line(starport("serve", env={"DATABASE_URL": url, "STARPORT_PORT": "1"}))
    assert "needs 0013_ledger_account_slots: run `starport db upgrade`" in line
    line = one_line(starport("messages", "list", env={"DATABASE_URL": url}))
    assert "is not migrated: run `starport db upgrade`" in line


async def test_serve_migrates_with_migrate(tmp_path: Path) -> None:
    env = environment(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    async with serving(env, "--migrate") as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_serve_refuses_a_bot_token_telegram_rejects(tmp_path: Path) -> None:
    sandbox = SandboxTelegram()  # answers 401 to a token of the wrong shape, as Telegram does
    async with serve_app(create_app(sandbox)) as api:
        done = await _serve_once(tmp_path, {"TELEGRAM_BOT_TOKEN": "123:placeholder",
                                            "TELEGRAM_API_URL": api})
    line = one_line(done)
    assert "Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized)" in line


async def _serve_once(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = environment(sqlite_url(tmp_path)) | env | {"STARPORT_PORT": str(free_port()),
                                                      "STARPORT_API_TOKEN": API_SECRET}
    return await asyncio.to_thread(subprocess.run, [*CLI,
                                                    "serve"], env=full, capture_output=True,
                                   text=True, timeout=60)


async def test_readyz_says_when_the_database_is_behind(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    async with serving(environment(url)) as client:
        assert (await client.get("/readyz")).status_code == 200
        with sqlite3.connect(url.split("///", 1)[1]) as db:
            db.execute("UPDATE alembic_version SET version_num = 'old'")
        behind = await client.get("/readyz")
        assert (await client.get("/healthz")).status_code == 200  # alive, not ready
    assert behind.status_code == 503
    assert behind.json()["reason"].startswith("database at migration old")


async def test_an_admin_refund_takes_an_empty_body(tmp_path: Path) -> None:
    env = environment(sqlite_url(tmp_path)) | {"STARPORT_ADMIN_TOKEN": "admin-token-0123456789"}
    async with serving(env) as client:
        response = await client.post("/api/admin/payments/no-such-session/refund",
                                     headers={"Authorization": "Bearer admin-token-0123456789"})
    assert response.status_code == 404  # parsed as {}: the session is what is missing
    assert response.json()["error"]["code"] == "session_not_found"


def test_the_version_is_printed() -> None:
    done = starport("--version")
    assert done.returncode == 0 and done.stdout.startswith("starport ")


def test_secrets_are_kept_out_of_repr() -> None:
    from starport.entrypoints.config import StarportConfig

    config = StarportConfig(_env_file=None, telegram_bot_token=TOKEN,  # type: ignore[call-arg]
                            starport_api_token=API_SECRET, telegram_webhook_secret=SECRET)
    shown = repr(config)
    assert TOKEN not in shown and API_SECRET not in shown and SECRET not in shown
