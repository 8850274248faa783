"""The p50 and p99 of two light routes, the practice feed and the audit trail, with and without GC tuning.

Run: ``python -m bench.gc_pauses``. The service is started with ``vclinic serve`` on 127.0.0.1 (one worker,
dev mode, a temporary SQLite database, its demo clinic seeded) once with the collector as CPython leaves it,
once with start-up's objects frozen (``VCLINIC_GC_FREEZE_AFTER_STARTUP``) and once frozen with a young
threshold of 50,000 (``VCLINIC_GC_YOUNG_THRESHOLD``), the service's default.
A load generator in a process of its own sends each route a bounded number of requests, one at a time on
one connection, after a warm-up, and times each. Every audit trail read is itself audited, so the trail
grows to its page of 200 events during the warm-up. The table shows p50 and p99 in ms and p99/p50, whose
target is 3 or less.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx

from app.auth.dev_keys import mint_dev_token
from app.core.config import Settings
from app.migrations.runner import migrate_to_head

WARM_UP = 250
REQUESTS = 1_500
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


def _drive(base_url: str, path: str, token: str) -> list[float]:
    """In the load generator's process: the seconds each request took, after the warm-up."""
    headers = {"Authorization": f"Bearer {token}"}
    times: list[float] = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
        for number in range(WARM_UP + REQUESTS):
            started = time.perf_counter()
            client.get(path).raise_for_status()
            if number >= WARM_UP:
                times.append(time.perf_counter() - started)
    return times


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{base_url}/healthz", timeout=1.0).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the service did not start")


def _measure(
    directory: Path, tuning: tuple[str, bool, int], load: ProcessPoolExecutor
) -> dict[str, list[float]]:
    settings = Settings(
        dev_mode=True, database_url=f"sqlite+aiosqlite:///{directory / 'bench.db'}", var_dir=directory / "var"
    )
    migrate_to_head(settings)
    token = mint_dev_token(settings, ADMIN)
    port = _free_port()
    environment = {
        **os.environ,
        "VCLINIC_DEV_MODE": "true",
        "VCLINIC_DATABASE_URL": settings.database_url,
        "VCLINIC_VAR_DIR": str(settings.var_dir),
        "VCLINIC_LOG_LEVEL": "WARNING",
        "VCLINIC_OUTBOX_DISPATCHER_ENABLED": "false",
        "VCLINIC_GC_FREEZE_AFTER_STARTUP": str(tuning[1]).lower(),
        "VCLINIC_GC_YOUNG_THRESHOLD": str(tuning[2]),
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process)
        return {name: load.submit(_drive, base_url, path, token).result() for name, path in ROUTES}
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_SECONDS)


def _row(*cells: object) -> str:
    return f"{cells[0]!s:<8}{cells[1]!s:<24}" + "".join(f"{cell!s:>10}" for cell in cells[2:])


def main() -> None:
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as temporary, ProcessPoolExecutor(max_workers=1) as load:
        for number, tuning in enumerate(TUNINGS):
            directory = Path(temporary) / str(number)
            directory.mkdir()
            for route, times in _measure(directory, tuning, load).items():
                results[(route, tuning[0])] = times
    print(f"{REQUESTS} requests a route after {WARM_UP} to warm up, one at a time; target p99/p50 {TARGET:g}")
    print(_row(*COLUMNS))
    for (route, tuning), times in results.items():
        p50 = statistics.median(times) * 1000
        p99 = statistics.quantiles(times, n=100)[98] * 1000
        print(_row(route, tuning, f"{p50:.1f}", f"{p99:.1f}", f"{p99 / p50:.1f}"))


if __name__ == "__main__":
    main()
