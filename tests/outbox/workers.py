"""``vclinic`` subprocesses against a test database, and the mock GP that receives what they deliver."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).parents[2]


def practices_file(directory: Path, fhir_base_url: str) -> Path:
    """One practice, A12345, taking advice by FHIR push at ``fhir_base_url``."""
    path = directory / "practices.toml"
    path.write_text(
        f"""
[practices.A12345]
name = "Mile End Surgery"
adapter = "fhir-r4"
base_url = "{fhir_base_url}"
delivery = "fhir-r4"
""",
        encoding="utf-8",
    )
    return path


def worker_env(database_url: str, practices: Path, var_dir: Path, **outbox: str) -> dict[str, str]:
    settings = {f"VCLINIC_OUTBOX_{name.upper()}": value for name, value in outbox.items()}
    return {
        **os.environ,
        "VCLINIC_DATABASE_URL": database_url,
        "VCLINIC_PRACTICES_FILE": str(practices),
        "VCLINIC_DEV_MODE": "true",
        "VCLINIC_VAR_DIR": str(var_dir),
        "VCLINIC_LOG_LEVEL": "WARNING",
        **settings,
    }


# A dispatcher process that pushes to one FHIR endpoint: the worker's loop without the whole application's
# imports, so it starts in a fraction of the time ``vclinic worker`` takes.
_DISPATCHER = """
import asyncio, sys
import httpx
from adapters.fhir_push import FhirPushDelivery
from adapters.http import UpstreamClient
from app.core.config import Settings
from app.core.db import create_engine, session_factory
from app.outbox.dispatcher import Dispatcher, DispatchPolicy

async def main(database_url, fhir_base_url, lease_seconds):
    engine = create_engine(Settings(dev_mode=True, database_url=database_url))
    async with httpx.AsyncClient(timeout=10) as client:
        push = FhirPushDelivery(
            UpstreamClient("mock GP", client), base_url=fhir_base_url,
            nhs_number_system="https://fhir.nhs.uk/Id/nhs-number",
        )
        policy = DispatchPolicy(batch_size=5, lease_seconds=float(lease_seconds))
        dispatcher = Dispatcher(session_factory(engine), lambda ods, channel: push, policy)
        await dispatcher.run(asyncio.Event(), poll_seconds=0.1)

asyncio.run(main(*sys.argv[1:]))
"""


def start_dispatcher(
    database_url: str, fhir_base_url: str, *, lease_seconds: float
) -> subprocess.Popen[bytes]:
    """A dispatcher in its own process; it runs until it is killed."""
    return subprocess.Popen(
        [sys.executable, "-c", _DISPATCHER, database_url, fhir_base_url, str(lease_seconds)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def received(fhir_base_url: str) -> dict[str, Any]:
    """What the mock GP was sent: raw and deduplicated counts of Communications and Tasks."""
    summary: dict[str, Any] = httpx.get(fhir_base_url.removesuffix("/fhir") + "/_received", timeout=5).json()
    return summary
