"""The processes the benchmark starts: each in a session of its own, its output in a log file,
stopped with SIGTERM then SIGKILL (to its whole process group: uvicorn's workers too); its CPU
time read from /proc, children included."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

STOP_SECONDS = 15.0
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Proc:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check_alive(self) -> None:
        code = self.popen.poll()
        if code is not None:
            raise RuntimeError(f"{self.name} exited with {code}:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to the process group if it has not ended in time."""
        if self.popen.poll() is None:
            self.popen.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(STOP_SECONDS)
        if self.popen.poll() is None or _group(self.pid):  # what is left: workers too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(STOP_SECONDS)

    def cpu_seconds(self) -> float:
        """User + system CPU of the process and its descendants alive now."""
        return sum(_cpu(pid) for pid in _family(self.pid))


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the 3rd (state) on


def _cpu(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK if fields else 0.0


def _machine_cpu() -> list[int]:
    """The whole machine's line of /proc/stat, in ticks: user nice system idle iowait irq
    softirq steal ..."""
    return [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, idle and iowait left out; steal
    counted in)."""
    fields = _machine_cpu()
    return (sum(fields[:8]) - fields[3] - fields[4]) / _TICK


def machine_steal_seconds() -> float:
    """CPU seconds this virtual machine's cores waited while the host ran something else."""
    fields = _machine_cpu()
    return fields[7] / _TICK if len(fields) > 7 else 0.0


def database_cpu_seconds() -> float:
    """User + system CPU of the PostgreSQL processes alive now (its backends included)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _cpu(int(entry.name))
    return total


def _group(pgid: int) -> list[int]:
    """The live processes of a process group (the session's leader started it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _family(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1])
    family, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sorted(family)


async def wait_tcp(proc: Proc, port: int, seconds: float = 60.0) -> None:
    """Until the port takes connections (uvicorn and aiohttp listen once started up)."""
    deadline = time.monotonic() + seconds
    while True:
        proc.check_alive()
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{proc.name} not listening on {port} after {seconds:.0f} s"
                                   f":\n{proc.tail()}") from None
            await asyncio.sleep(0.1)
        else:
            writer.close()
            return


async def wait_http(proc: Proc, url: str, seconds: float = 60.0, times: int = 1) -> None:
    """Until GET url answers 200 `times` times in a row, each on a new connection."""
    deadline, good = time.monotonic() + seconds, 0
    while good < times:
        proc.check_alive()
        try:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                good = good + 1 if (await client.get(url)).status_code == 200 else 0
        except httpx.HTTPError:
            good = 0
        if good < times:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{proc.name}: {url} not 200 after {seconds:.0f} s"
                                   f":\n{proc.tail()}")
            await asyncio.sleep(0.1 if good == 0 else 0)
