"""The service's CPU time for one nephrology summary, the mock GP's excluded.

Run: ``python -m bench.summary_cpu``. The mock GP serves the demo practice from a process of its own, so its
work is not counted. The service runs here, through its ASGI app, on a fresh PostgreSQL database (dropped
afterwards); a consultant puts 30 patients on a clinic, then reads their summaries in turn, never cached,
after a warm-up round. The table shows this process's CPU per summary (the target is 10 ms or less), the
wall time, and the searches the GP server answered for each summary.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

from adapters.demo import write_demo_practice
from app.auth.dev_keys import mint_dev_token
from app.core.config import Settings
from app.main import create_app
from app.migrations.runner import migrate_to_head
from bench._postgres import fresh_database
from bench.load import CONSULTANT, PATIENTS, SPECIALTY, _mock_gp, _practices_toml

ROUNDS = 3
TARGET_MS = 10.0


def _settings(root: Path, database_url: str, gp_url: str) -> Settings:
    practices_file = root / "practices.toml"
    practices_file.write_text(_practices_toml(gp_url), encoding="utf-8")
    return Settings(
        dev_mode=True,
        database_url=database_url,
        var_dir=root / "var",
        practices_file=practices_file,
        outbox_dispatcher_enabled=False,
        log_level="WARNING",
    )


async def _clinic(client: httpx.AsyncClient) -> None:
    consultant = {"sub": CONSULTANT["sub"], "name": CONSULTANT["name"]}
    body = {"specialty": SPECIALTY, "date": date.today().isoformat(), "consultant": consultant}
    clinic_id = (await client.post("/v1/clinics", json=body)).raise_for_status().json()["id"]
    for nhs_number in PATIENTS:
        entry = {"nhs_number": nhs_number, "reason": "eGFR falling on the monthly search"}
        (await client.post(f"/v1/clinics/{clinic_id}/entries", json=entry)).raise_for_status()


async def _round(client: httpx.AsyncClient) -> tuple[float, float]:
    """CPU and wall seconds for reading every patient's summary once, one after another."""
    cpu, wall = time.process_time(), time.perf_counter()
    for nhs_number in PATIENTS:
        (await client.get(f"/v1/patients/{nhs_number}/summaries/{SPECIALTY}")).raise_for_status()
    return time.process_time() - cpu, time.perf_counter() - wall


async def _measure(settings: Settings, gp_url: str) -> tuple[list[float], list[float], float]:
    await asyncio.to_thread(migrate_to_head, settings)
    headers = {"Authorization": f"Bearer {mint_dev_token(settings, CONSULTANT)}"}
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client,
            httpx.AsyncClient(base_url=gp_url.removesuffix("/fhir")) as gp,
        ):
            await _clinic(client)
            await _round(client)
            (await gp.delete("/_received")).raise_for_status()
            rounds = [await _round(client) for _ in range(ROUNDS)]
            counted = (await gp.get("/_received")).raise_for_status().json()["searches"]
    searches = sum(counted.values()) / (ROUNDS * len(PATIENTS))
    return [cpu for cpu, _ in rounds], [wall for _, wall in rounds], searches


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary, fresh_database("summary") as database_url:
        root = Path(temporary)
        write_demo_practice(root / "records", date.today())
        with _mock_gp(root / "records") as gp_url:
            cpu, wall, searches = asyncio.run(_measure(_settings(root, database_url, gp_url), gp_url))
    per = len(PATIENTS)
    print(f"{per} summaries a round, {ROUNDS} rounds after one to warm up; target CPU <= {TARGET_MS:g} ms")
    print(f"{'CPU ms (median round)':>24}{'wall ms':>10}{'GP searches':>14}")
    cpu_ms, wall_ms = statistics.median(cpu) / per * 1000, statistics.median(wall) / per * 1000
    print(f"{cpu_ms:>24.1f}{wall_ms:>10.1f}{searches:>14.1f}")


if __name__ == "__main__":
    main()
