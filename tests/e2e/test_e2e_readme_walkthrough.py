"""The README's sandbox walkthrough, run exactly as written (its shell blocks are read from the
README, so the two cannot drift) against `starport serve` in sandbox mode, a real process:
pasted as one block, pasted again, and pasted once more after a restart."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTION = "## Try a purchase in the sandbox"
pytestmark = pytest.mark.slow


def walkthrough() -> list[str]:
    """The shell blocks of the README's sandbox section, in order."""
    text = README.read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def make_run(database: Path, port: int) -> Iterator[None]:
    """What `make run` does: migrate, then serve (no tokens: sandbox mode)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STARPORT_",
                                                                     "CRYPTOPAY_"))}
    env |= {"PYTHONPATH": os.pathsep.join([str(ROOT / "pkg"), str(ROOT)]),
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}", "STARPORT_PORT": str(port),
            "PAYMENT_PROVIDERS": "telegram_stars,cryptopay", "STARPORT_LOG_LEVEL": "WARNING"}
    cli = [sys.executable, "-m", "starport.entrypoints.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True,
                   timeout=120)
    server = subprocess.Popen([*cli, "serve"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read().decode()  # type: ignore[union-attr]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


def paste(block: str, port: int) -> str:
    """One block in bash, as a user pastes it; its output."""
    script = block.replace("B=http://127.0.0.1:8000", f"B=http://127.0.0.1:{port}")
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def balance(output: str) -> int:
    """The last `{"userId": ..., "balance": N}` the block printed."""
    found = re.findall(r'\{"userId":"[^"]*","balance":(-?\d+)', output)
    assert found, output
    return int(found[-1])


def test_the_readme_walkthrough_works_pasted_again_and_after_a_restart(tmp_path: Path) -> None:
    stars, chat, crypto = walkthrough()
    port = free_port()
    database = tmp_path / "starport.db"
    with make_run(database, port):
        first = paste(stars, port)
        assert "Starter pack: 100 credits for 50 ⭐" in first  # the session text, in the chat
        assert '"status":"paid"' in first
        assert balance(first) == 100
        assert balance(paste(stars, port)) == 200  # pasted again on the same server
        assert balance(paste(chat, port)) == 100  # the chat's own user
        assert balance(paste(crypto, port)) == 100
        invoices = httpx.get(f"http://127.0.0.1:{port}/sandbox/cryptopay/_sandbox/invoices")
        assert [i["status"] for i in invoices.json()["result"]] == ["paid"]
        session = httpx.post(f"http://127.0.0.1:{port}/api/payments/create-session", json={
            "packageId": "starter", "paymentMethod": "cryptopay", "userId": "carol"}).json()
        page = httpx.get(session["webAppUrl"])  # the sandbox's own page, offline
        assert page.status_code == 200 and "Pay" in page.text
    with make_run(database, port):  # `make run` again: a fresh sandbox, the same database
        assert balance(paste(stars, port)) == 300
        assert balance(paste(chat, port)) == 200
        assert balance(paste(crypto, port)) == 200
