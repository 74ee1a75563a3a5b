"""The deployment kit, as far as it can be run without a container engine here (there is no
Docker daemon on this machine): the image's command with the image's environment serves, its
health check passes against it and fails without it; the compose file and the systemd unit name
commands that exist."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from features.drivers.http_database import sqlite_url

from starport.entrypoints.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def dockerfile() -> tuple[dict[str, str], list[str], list[str]]:
    """(ENV, CMD, HEALTHCHECK CMD) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", text, flags=re.MULTILINE):
        env |= dict(pair.split("=", 1) for pair in shlex.split(line))
    [cmd] = re.findall(r"^CMD (\[.+\])$", text, flags=re.MULTILINE)
    [check] = re.findall(r"^HEALTHCHECK .*CMD (\[.+\])$", text, flags=re.MULTILINE)
    return env, json.loads(cmd), json.loads(check)


def test_the_image_command_serves_and_its_health_check_follows_it(tmp_path: Path) -> None:
    env, cmd, check = dockerfile()
    assert cmd[0] == "starport" and check[0] == "python"
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    run_env = {**os.environ, **env, "STARPORT_PORT": port, "DATABASE_URL": sqlite_url(tmp_path),
               "TELEGRAM_BOT_TOKEN": "7000000002:AAdeployKitTestTokenNotReal000000",
               "TELEGRAM_API_URL": "http://127.0.0.1:9", "STARPORT_LOG_LEVEL": "WARNING",
               "PYTHONPATH": os.pathsep.join([str(ROOT / "pkg"), str(ROOT)])}
    health = [sys.executable, str(ROOT / "deploy" / "healthcheck.py")]  # /usr/local/bin/...
    assert subprocess.run(health, env=run_env, check=False).returncode == 1  # nothing yet
    starport = [sys.executable, "-m", "starport.entrypoints.cli", *cmd[1:], "--no-jobs"]
    process = subprocess.Popen(starport, env=run_env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(300):
            assert process.poll() is None
            try:
                # STARPORT_HOST=0.0.0.0 from the image: it listens on every address
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert subprocess.run(health, env=run_env, check=False).returncode == 0
    finally:
        process.terminate()
        process.wait(15)
    assert subprocess.run(health, env=run_env, check=False).returncode == 1


def test_the_compose_file_and_the_unit_run_commands_that_exist() -> None:
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    unit = (ROOT / "deploy" / "starport.service").read_text()
    commands = [shlex.split(c.replace('"', "").replace(",", " "))
                for c in re.findall(r"command: \[(.+)\]", compose)]
    commands += [shlex.split(line.split("=", 1)[1])
                 for line in unit.splitlines() if line.startswith(("ExecStart=", "ExecStartPre="))]
    assert len(commands) == 4
    for command in commands:
        assert Path(command[0]).name == "starport"
        _parser().parse_args(command[1:])  # exits (SystemExit) on an unknown command or flag
