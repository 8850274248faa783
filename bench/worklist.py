"""How long a clinic's worklist of 30 patients takes, beside one patient's summary, from a slow GP server.

Run: ``python -m bench.worklist``. The mock GP serves the demo practice's records with 200 ms added to every
answer, in a process of its own as a practice's system would be. The service runs here, through its ASGI app,
on a temporary SQLite database with its default settings. A clinic of 30 patients is opened; one summary is
read three times (the median is the single summary); then the worklist is read once, its cache cold.

Two lists are measured: thirty patients of one practice, and thirty of ten practices, as a clinic's list
usually is. Every practice, however many there are, is the one mock server; each has its own connection
pool and its own bound on batches in flight. The table shows both wall times, what reading the summaries
one after another would take, the worklist in single summaries (the target is 2 or less), the searches the
GP server answered for the worklist and for the single summaries, and the CPU this process spent on the
worklist.
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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import orjson

from adapters.demo import DEMO_PATIENTS, write_demo_practice
from adapters.mock_gp import FAULTS_ENV
from app.auth.dev_keys import mint_dev_token
from app.core.config import Settings
from app.main import create_app
from app.migrations.runner import migrate_to_head
from app.records.practices import PracticeConfig

LATENCY_MS = 200
PATIENTS = [patient.nhs_number for patient in DEMO_PATIENTS[:30]]
SCENARIOS = (("one practice", 1), ("ten practices", 10))
SINGLE_READS = 3
TARGET_RATIO = 2.0
PATIENTS_PER_SEARCH = PracticeConfig.model_fields["patients_per_search"].default
STARTUP_SECONDS = 30.0
WORKLIST_DEADLINE_SECONDS = 120.0
CONSULTANT = {"sub": "dr-lee", "role": "consultant", "specialty": "nephrology", "name": "Dr Lee"}
COLUMNS = (
    "list",
    "worklist s",
    "single s",
    "sequential s",
    "worklist/single",
    "GP searches",
    "one by one",
    "service CPU s",
)


@dataclass(frozen=True)
class Measured:
    name: str
    worklist: float
    single: float
    cpu: float
    searches: int
    single_searches: int


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _mock_gp_process(data_dir: Path) -> Iterator[str]:
    """The mock GP in a child process (``vclinic mock-gp``), its latency set; yields its FHIR base URL."""
    port = _free_port()
    environment = {**os.environ, FAULTS_ENV: orjson.dumps({"latency_ms": LATENCY_MS}).decode()}
    command = [sys.executable, "-m", "app.cli", "mock-gp", "--port", str(port), "--data", str(data_dir)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/fhir"
    try:
        _wait_until_up(base_url, process)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_SECONDS)


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{base_url}/metadata", timeout=1.0).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit("the mock GP did not start")


def _practices_toml(base_url: str, practices: int) -> str:
    codes = [f"P{number:05d}" for number in range(practices)]
    sections = [
        f'[practices.{ods}]\nname = "Practice {ods}"\nadapter = "fhir-r4"\nbase_url = "{base_url}"\n'
        for ods in codes
    ]
    placed = [f'"{nhs}" = "{codes[index % practices]}"' for index, nhs in enumerate(PATIENTS)]
    return "\n".join([*sections, '[directory]\nadapter = "static"\n\n[directory.patients]', *placed, ""])


def _settings(directory: Path, base_url: str, practices: int) -> Settings:
    practices_file = directory / "practices.toml"
    practices_file.write_text(_practices_toml(base_url, practices), encoding="utf-8")
    return Settings(
        dev_mode=True,
        database_url=f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        var_dir=directory / "var",
        practices_file=practices_file,
        outbox_dispatcher_enabled=False,
        log_level="WARNING",
    )


async def _clinic_of_everyone(client: httpx.AsyncClient) -> str:
    consultant = {"sub": CONSULTANT["sub"], "name": CONSULTANT["name"]}
    body = {"specialty": "nephrology", "date": date.today().isoformat(), "consultant": consultant}
    clinic_id: str = (await client.post("/v1/clinics", json=body)).raise_for_status().json()["id"]
    for nhs_number in PATIENTS:
        entry = {"nhs_number": nhs_number, "reason": "eGFR falling on the monthly search"}
        (await client.post(f"/v1/clinics/{clinic_id}/entries", json=entry)).raise_for_status()
    return clinic_id


async def _searches_answered(client: httpx.AsyncClient) -> int:
    """The searches the mock GP has answered since it was last asked, by then forgetting them."""
    counted: dict[str, int] = (await client.get("/_received")).raise_for_status().json()["searches"]
    (await client.delete("/_received")).raise_for_status()
    return sum(counted.values())


async def _single_summary(client: httpx.AsyncClient) -> float:
    """The median of reads of the first patients' summaries; the summary route keeps no cache."""
    times = []
    for nhs_number in PATIENTS[:SINGLE_READS]:
        started = time.perf_counter()
        (await client.get(f"/v1/patients/{nhs_number}/summaries/nephrology")).raise_for_status()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _worklist(client: httpx.AsyncClient, clinic_id: str) -> tuple[float, float]:
    """Wall and CPU seconds of one worklist read, which must show every patient's highlights."""
    cpu, started = time.process_time(), time.perf_counter()
    response = await asyncio.wait_for(
        client.get(f"/v1/clinics/{clinic_id}/worklist"), timeout=WORKLIST_DEADLINE_SECONDS
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    unavailable = [row for row in response.raise_for_status().json()["entries"] if row["summary"]["problem"]]
    if unavailable:
        raise SystemExit(f"{len(unavailable)} summaries unavailable: {unavailable[0]['summary']['problem']}")
    return wall, cpu


async def _measure(name: str, settings: Settings, gp_url: str) -> Measured:
    await asyncio.to_thread(migrate_to_head, settings)
    headers = {"Authorization": f"Bearer {mint_dev_token(settings, CONSULTANT)}"}
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers=headers, timeout=60.0
            ) as client,
            httpx.AsyncClient(base_url=gp_url, timeout=10.0) as gp,
        ):
            clinic_id = await _clinic_of_everyone(client)
            await _searches_answered(gp)
            single = await _single_summary(client)
            single_searches = await _searches_answered(gp) // SINGLE_READS
            wall, cpu = await _worklist(client, clinic_id)
            searches = await _searches_answered(gp)
    return Measured(name, wall, single, cpu, searches, single_searches)


def _row(*cells: object) -> str:
    return "".join(f"{cell!s:>17}" for cell in cells)


def _print_table(results: list[Measured], bound: int) -> None:
    """``one by one``: the searches thirty single summaries would make, the single summary's thirty times."""
    print(
        f"{len(PATIENTS)} patients; mock GP with {LATENCY_MS} ms per answer; at most {bound} batches of "
        f"up to {PATIENTS_PER_SEARCH} patients in flight per practice; "
        f"target: worklist/single <= {TARGET_RATIO:g}"
    )
    print(_row(*COLUMNS))
    for result in results:
        sequential = len(PATIENTS) * result.single
        ratio = result.worklist / result.single
        print(
            _row(
                result.name,
                f"{result.worklist:.2f}",
                f"{result.single:.2f}",
                f"{sequential:.2f}",
                f"{ratio:.2f}",
                result.searches,
                len(PATIENTS) * result.single_searches,
                f"{result.cpu:.2f}",
            )
        )


def main() -> None:
    results: list[Measured] = []
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        write_demo_practice(root / "records", date.today())
        with _mock_gp_process(root / "records") as base_url:
            for name, practices in SCENARIOS:
                directory = root / name.replace(" ", "-")
                directory.mkdir()
                settings = _settings(directory, base_url, practices)
                gp_url = base_url.removesuffix("/fhir")
                results.append(asyncio.run(_measure(name, settings, gp_url)))
    _print_table(results, settings.clinic_practice_concurrency)


if __name__ == "__main__":
    main()
