"""The third-party sekmet FHIR R4 server, run on 127.0.0.1 in a subprocess for the integration tier, and the
loading of the tests' patients into it.

Its store lives in a temporary directory. If it cannot start, the tier fails under CI (``CI=true``) and is
skipped elsewhere.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapters.demo import demo_practice_resources

STARTUP_SECONDS = 60.0
# The simulator would answer each loaded MedicationRequest with dispenses of its own; the traffic log is not
# needed. Inbound validation stays on, so a loaded bundle is checked as any client's would be.
SETTINGS = "simulator:\n  enabled: false\nlog_inbound: false\n"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the sekmet FHIR server is required under CI: {reason}")
    pytest.skip(f"the sekmet FHIR server is not available: {reason}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _unavailable(f"it exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base_url}/metadata", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    _unavailable(f"it did not answer within {STARTUP_SECONDS:g} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_sekmet(workdir: Path, settings: str = SETTINGS) -> Iterator[str]:
    """The server's FHIR base URL, serving an empty store in ``workdir``, until the block ends."""
    executable = Path(sys.executable).with_name("sekmet")
    if not executable.exists():
        _unavailable(f"{executable} is not installed")
    (workdir / "settings.yaml").write_text(settings)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/fhir"
    environment = os.environ | {
        "SEKMET_CONFIG": str(workdir / "settings.yaml"),
        "SEKMET_DB": str(workdir / "sekmet.db"),
        "SEKMET_BASE_URL": base_url,
    }
    log = workdir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, base_url, log)
        yield base_url
    finally:
        _stop(process)


def load(base_url: str, bundle: dict[str, Any]) -> None:
    """Posts a transaction (or batch) Bundle to the server, which must accept it whole."""
    response = httpx.post(
        base_url,
        content=orjson.dumps(bundle),
        headers={"Content-Type": "application/fhir+json"},
        timeout=120.0,
    )
    assert response.status_code == 200, response.text[:2000]


def transaction(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A transaction Bundle putting each resource at its own id, so loading it twice changes nothing."""
    entries = [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
        for r in resources
    ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def demo_resources(today: date, types: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The demo practice's resources (only those of ``types``, when given), its records dated back from
    ``today``."""
    resources = demo_practice_resources(today)
    return [r for r in resources if types is None or r["resourceType"] in types]
