"""HTTP load for the benchmarks: a fixed number of requests in flight, sent by httpx from a
separate process so the client never competes with the server for its event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

Request_ = tuple[str, bytes, dict[str, str]]  # path, body, headers


@dataclass
class LoadResult:
    wall: float  # seconds from the first request sent to the last answer
    latencies: list[float]  # seconds, sorted
    statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)  # the body's "outcome", if any

    @property
    def sent(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall

    def percentile(self, p: float) -> float:
        """In milliseconds (nearest rank)."""
        index = min(len(self.latencies) - 1, max(0, round(p / 100 * len(self.latencies)) - 1))
        return self.latencies[index] * 1000


def drive(base_url: str, requests: list[Request_], concurrency: int, seconds: float
          ) -> LoadResult:
    """Runs in the load process: POST the requests in order, `concurrency` at a time, until
    all are sent or `seconds` have passed (then the ones in flight finish, no more start)."""
    return asyncio.run(_drive(base_url, requests, concurrency, seconds))


async def _drive(base_url: str, requests: list[Request_], concurrency: int, seconds: float
                 ) -> LoadResult:
    # One client (one keep-alive connection) per worker: httpx's shared pool slows down badly
    # with many connections in flight, which would measure the client, not the server.
    result = LoadResult(0.0, [])
    queue = list(reversed(requests))
    clients = [httpx.AsyncClient(base_url=base_url, timeout=60.0, trust_env=False,
                                 limits=httpx.Limits(max_connections=1))
               for _ in range(concurrency)]

    async def worker(client: httpx.AsyncClient) -> None:
        while queue and time.perf_counter() < deadline:
            path, body, headers = queue.pop()
            started = time.perf_counter()
            response = await client.post(path, content=body, headers=headers)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[response.status_code] += 1
            outcome = _outcome(response)
            if outcome:
                result.outcomes[outcome] += 1

    try:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(worker(client) for client in clients))
        result.wall = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    result.latencies.sort()
    return result


def _outcome(response: httpx.Response) -> str | None:
    try:
        data: Any = response.json()
    except ValueError:
        return None
    return str(data.get("outcome")) if isinstance(data, dict) and "outcome" in data else None


class LoadProcess:
    """One load-generating process for the whole run (spawned once: start-up is not free)."""

    def __init__(self) -> None:
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"))

    async def run(self, base_url: str, requests: list[Request_], concurrency: int,
                  seconds: float) -> LoadResult:
        """Drive the load while this process's event loop goes on serving."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, drive, base_url, requests, concurrency,
                                          seconds)

    def close(self) -> None:
        self._pool.shutdown()


async def _ok(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"ok": True})


def bare_app() -> Starlette:
    """The baseline: a Starlette endpoint that reads the body and answers 200, nothing else."""
    return Starlette(routes=[Route("/{path:path}", _ok, methods=["POST"])])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
