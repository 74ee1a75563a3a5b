"""`starport doctor` as an operator runs it, beside a running `starport serve` in sandbox mode:
every check passes; a wrong token, a webhook pointed elsewhere, an unmigrated database each
fail in one line that names the fix, with a non-zero exit and no secret printed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from features.drivers.http_database import sqlite_url

from starport.entrypoints.config import SANDBOX_BOT_TOKEN, SANDBOX_CRYPTOPAY_TOKEN

CLI = [sys.executable, "-m", "starport.entrypoints.cli"]  # `starport`, from this checkout

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "pkg"), str(ROOT)]),
           "DATABASE_URL": database_url, "STARPORT_PORT": str(port),
           "PAYMENT_PROVIDERS": "telegram_stars,cryptopay", "STARPORT_LOG_LEVEL": "WARNING"}
    for name in ("TELEGRAM_BOT_TOKEN", "STARPORT_SANDBOX", "STARPORT_PUBLIC_URL",
                 "TELEGRAM_CHANNEL_ID"):
        env.pop(name, None)
    return env | extra


def doctor(env: dict[str, str]) -> tuple[int, list[str], str]:
    done = subprocess.run([*CLI, "doctor"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout.splitlines(), done.stderr


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`starport serve` in sandbox mode on SQLite: (database URL, port)."""
    url, port = sqlite_url(tmp_path), _free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([*CLI, "serve", "--no-jobs"],
                               env=_env(url, port), stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        for _ in range(300):
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
        log.close()


def test_everything_passes_against_the_sandbox(sandbox: tuple[str, int]) -> None:
    code, lines, _ = doctor(_env(*sandbox,
                                 PAYMENT_PROVIDERS="telegram_stars,cryptopay,telegram_payments"))
    assert code == 0, lines
    names = [line.split(":", 1)[0] for line in lines]
    assert all(line.startswith(("ok ", "warn ")) for line in lines), lines
    for check in ("database", "bot token", "webhook", "bot commands", "crypto pay token",
                  "crypto pay webhook", "catalog (telegram_stars)", "catalog (cryptopay)",
                  "catalog (telegram_payments)", "card payments", "crypto pay assets"):
        assert any(name.endswith(check) for name in names), (check, lines)
    assert any(line.startswith("ok    bot token: valid: @sandbox") for line in lines), lines


def test_a_wrong_token_fails_clearly_and_is_never_printed(sandbox: tuple[str, int]) -> None:
    url, port = sandbox
    wrong_bot, wrong_pay = "123456:wrongWRONGwrongWRONGwrong", "777:wrongCRYPTOwrongCRYPTO"
    base = f"http://127.0.0.1:{port}"
    code, lines, err = doctor(_env(
        url, port, STARPORT_SANDBOX="false", TELEGRAM_BOT_TOKEN=wrong_bot,
        TELEGRAM_API_URL=f"{base}/sandbox/telegram", CRYPTOPAY_API_TOKEN=wrong_pay,
        CRYPTOPAY_API_URL=f"{base}/sandbox/cryptopay/api", STARPORT_PUBLIC_URL=base))
    assert code == 1
    assert ("FAIL  bot token: Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the "
            "token @BotFather gave you, or unset it to run the sandbox") in lines
    assert "skip  webhook: needs the bot token check to pass" in lines
    assert ("FAIL  crypto pay: Crypto Pay refused CRYPTOPAY_API_TOKEN: create an app token in "
            "@CryptoBot") in lines
    for secret in (wrong_bot, wrong_pay, wrong_bot.split(":")[1]):
        assert secret not in "\n".join(lines) + err


def test_an_asset_crypto_pay_does_not_have_is_named(sandbox: tuple[str, int],
                                                    tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[[package]]\nid = "odd"\ntitle = "Odd"\ncredits = 10\nstars = 5\n'
                       'crypto = { amount = "1", asset = "ZZZ" }\n')
    code, lines, _ = doctor(_env(*sandbox, STARPORT_CATALOG=str(catalog),
                                 CRYPTOPAY_ACCEPTED_ASSETS="USDT,NOPE"))
    assert code == 1
    [line] = [x for x in lines if x.startswith("FAIL  crypto pay assets")]
    assert "package odd: Crypto Pay has no asset ZZZ" in line
    assert "CRYPTOPAY_ACCEPTED_ASSETS: Crypto Pay has no asset NOPE" in line


def test_a_webhook_pointed_elsewhere_names_the_command_that_fixes_it(
        sandbox: tuple[str, int]) -> None:
    url, port = sandbox
    base = f"http://127.0.0.1:{port}"
    code, lines, _ = doctor(_env(
        url, port, STARPORT_SANDBOX="false", TELEGRAM_BOT_TOKEN=SANDBOX_BOT_TOKEN,
        TELEGRAM_API_URL=f"{base}/sandbox/telegram", CRYPTOPAY_API_TOKEN=SANDBOX_CRYPTOPAY_TOKEN,
        CRYPTOPAY_API_URL=f"{base}/sandbox/cryptopay/api",
        STARPORT_PUBLIC_URL="https://pay.example.com"))
    assert code == 1
    expected = "https://pay.example.com/api/telegram/webhook"
    assert (f"FAIL  webhook: set to {base}/api/telegram/webhook, expected {expected}: run "
            f"`starport telegram set-webhook {expected}`") in lines


def test_an_unmigrated_database_says_how_to_migrate(sandbox: tuple[str, int],
                                                     tmp_path: Path) -> None:
    _, port = sandbox
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    code, lines, _ = doctor(_env(empty, port))
    assert code == 1
    assert [line for line in lines if line.startswith("FAIL  database")] == [
        "FAIL  database: at migration none, this Starport needs 0013_ledger_account_slots: run "
        "`starport db upgrade`"]


def test_serve_points_the_webhook_at_the_public_url_when_asked(sandbox: tuple[str, int],
                                                               tmp_path: Path) -> None:
    _, port = sandbox
    base, own_port = f"http://127.0.0.1:{port}", _free_port()
    env = _env(f"sqlite+aiosqlite:///{tmp_path / 'second.db'}", own_port,
               STARPORT_SANDBOX="false", TELEGRAM_BOT_TOKEN=SANDBOX_BOT_TOKEN,
               TELEGRAM_API_URL=f"{base}/sandbox/telegram", PAYMENT_PROVIDERS="telegram_stars",
               STARPORT_PUBLIC_URL="https://pay.example.com", STARPORT_SET_WEBHOOK="true",
               TELEGRAM_WEBHOOK_SECRET="a-secret-of-the-tests_0123456789")
    process = subprocess.Popen([*CLI, "serve", "--no-jobs",
                                "--migrate"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(300):
            assert process.poll() is None
            try:
                if httpx.get(f"http://127.0.0.1:{own_port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        info = httpx.post(f"{base}/sandbox/telegram/bot{SANDBOX_BOT_TOKEN}/getWebhookInfo"
                          ).json()["result"]
    finally:
        process.terminate()
        process.wait(15)
    assert info["url"] == "https://pay.example.com/api/telegram/webhook"
    assert {"pre_checkout_query", "message"} <= set(info["allowed_updates"])


def test_the_menu_button_opens_the_mini_app_once_set_commands_set_it(
        sandbox: tuple[str, int]) -> None:
    url, port = sandbox
    page = f"http://127.0.0.1:{port}/miniapp/"
    env = _env(url, port, STARPORT_MINIAPP_URL=page)

    _, before, _ = doctor(env)
    done = subprocess.run([*CLI, "telegram", "set-commands"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    code, after, _ = doctor(env)

    assert (f"warn  menu button: opens default, not STARPORT_MINIAPP_URL ({page}): run "
            "`starport telegram set-commands`") in before
    assert done.returncode == 0, done.stderr
    assert f"menu button set: 'Buy credits' opens {page}" in done.stdout
    assert code == 0, after
    assert f"ok    menu button: 'Buy credits' opens {page}" in after
