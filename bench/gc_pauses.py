"""The p50 and p99 of two light routes, the practice feed and the audit trail, with and without GC tuning.

Run: ``python -m bench.gc_pauses``. The service is started with ``vclinic serve`` on 127.0.0.1 (one worker,
dev mode, a temporary SQLite database, its demo clinic seeded) once with the collector as CPython leaves it,
once with start-up's objects frozen (``VCLINIC_GC_FREEZE_AFTER_STARTUP``) and once frozen with a young
threshold of 50,000 (``VCLINIC_GC_YOUNG_THRESHOLD``), the service's default. The three run at once, and a
load generator in a process of its own sends each route a bounded number of requests in bursts of 8 at once
(so that a pause holds up every request in flight, as under real load), the services taking turns burst by
burst, after a warm-up, and times each. Every audit trail
read is itself audited, so the trail grows to its page of 200 events during the warm-up. The table shows
p50 and p99 in ms and p99/p50, whose target is 3 or less.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, ExitStack, contextmanager
from pathlib import Path

import httpx

from app.auth.dev_keys import mint_dev_token
from app.core.config import Settings
from app.migrations.runner import migrate_to_head

WARM_UP = 240
REQUESTS = 2_400
CONCURRENCY = 8
STARTUP_SECONDS = 60.0
TARGET = 3.0
ADMIN = {"sub": "admin-1", "role": "admin", "name": "Bench Admin"}
ROUTES = (("feed", "/v1/practices/A12345/feed"), ("audit", "/v1/audit?nhs_number=9434765919"))
TUNINGS = (
    ("as CPython leaves it", False, 700),
    ("frozen, young 700", True, 700),
    ("frozen, young 50,000", True, 50_000),
)
COLUMNS = ("route", "collector", "p50 ms", "p99 ms", "p99/p50")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _timed(client: httpx.AsyncClient, path: str) -> float:
    started = time.perf_counter()
    (await client.get(path)).raise_for_status()
    return time.perf_counter() - started


async def _bursts(base_urls: list[str], path: str, token: str) -> list[list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CONCURRENCY)
    times: list[list[float]] = [[] for _ in base_urls]
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0, limits=limits)
            )
            for url in base_urls
        ]
        for burst in range((WARM_UP + REQUESTS) // CONCURRENCY):
            for client, taken in zip(clients, times, strict=True):
                burst_times = await asyncio.gather(*(_timed(client, path) for _ in range(CONCURRENCY)))
                if burst * CONCURRENCY >= WARM_UP:
                    taken.extend(burst_times)
    return times


def _drive(base_urls: list[str], path: str, token: str) -> list[list[float]]:
    """In the load generator's process: each service's request times, after the warm-up.

    The services take turns burst by burst, so that whatever else the machine is doing slows them alike.
    """
    return asyncio.run(_bursts(base_urls, path, token))


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{base_url}/healthz", timeout=1.0).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the service did not start")


@contextmanager
def _service(directory: Path, tuning: tuple[str, bool, int]) -> Iterator[str]:
    """The service in a child process with the tuning's collector; yields its base URL."""
    port = _free_port()
    environment = {
        **os.environ,
        "VCLINIC_DEV_MODE": "true",
        "VCLINIC_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        "VCLINIC_VAR_DIR": str(directory.parent / "var"),
        "VCLINIC_LOG_LEVEL": "WARNING",
        "VCLINIC_OUTBOX_DISPATCHER_ENABLED": "false",
        "VCLINIC_GC_FREEZE_AFTER_STARTUP": str(tuning[1]).lower(),
        "VCLINIC_GC_YOUNG_THRESHOLD": str(tuning[2]),
    }
    migrate_to_head(Settings(dev_mode=True, database_url=environment["VCLINIC_DATABASE_URL"]))
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_SECONDS)


def _row(*cells: object) -> str:
    return f"{cells[0]!s:<8}{cells[1]!s:<24}" + "".join(f"{cell!s:>10}" for cell in cells[2:])


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary, ExitStack() as services:
        root = Path(temporary)
        token = mint_dev_token(Settings(dev_mode=True, var_dir=root / "var"), ADMIN)
        directories = [root / str(number) for number in range(len(TUNINGS))]
        for directory in directories:
            directory.mkdir()
        base_urls = [
            services.enter_context(_service(d, t)) for d, t in zip(directories, TUNINGS, strict=True)
        ]
        with ProcessPoolExecutor(max_workers=1) as load:
            measured = {name: load.submit(_drive, base_urls, path, token).result() for name, path in ROUTES}
    print(
        f"{REQUESTS} requests a route after {WARM_UP} to warm up, {CONCURRENCY} at a time; "
        f"target p99/p50 {TARGET:g}"
    )
    print(_row(*COLUMNS))
    for route, by_tuning in measured.items():
        for (tuning, _, _), times in zip(TUNINGS, by_tuning, strict=True):
            p50 = statistics.median(times) * 1000
            p99 = statistics.quantiles(times, n=100)[98] * 1000
            print(_row(route, tuning, f"{p50:.1f}", f"{p99:.1f}", f"{p99 / p50:.1f}"))


if __name__ == "__main__":
    main()
