"""With several workers, /metrics adds up every worker's counts, not only those of the worker scraped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.core.metrics import MULTIPROCESS_ENV, render_metrics, share_metrics_between_workers
from tests.support.live_server import free_port

COUNT_REQUESTS = (
    "import sys\n"
    "from app.core.metrics import HTTP_REQUESTS\n"
    "HTTP_REQUESTS.labels('GET', '/healthz', '200').inc(int(sys.argv[1]))\n"
)
STARTUP_SECONDS = 60.0


def healthz_requests(exposition: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "vclinic_http_requests_total" and sample.labels.get("route") == "/healthz"
    )


def test_two_processes_counts_add_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {**os.environ, MULTIPROCESS_ENV: str(tmp_path)}
    for requests in (3, 4):
        subprocess.run([sys.executable, "-c", COUNT_REQUESTS, str(requests)], env=environment, check=True)
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))

    body, _ = render_metrics()

    assert healthz_requests(body.decode()) == 7


def test_a_new_run_starts_from_an_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MULTIPROCESS_ENV, "")
    left = tmp_path / "prometheus-multiproc" / "counter_12345.db"
    left.parent.mkdir()
    left.write_bytes(b"from an earlier run")

    directory = share_metrics_between_workers(tmp_path)

    assert list(directory.iterdir()) == []
    assert os.environ[MULTIPROCESS_ENV] == str(directory)


@pytest.mark.integration
def test_serve_with_two_workers_reports_every_request(tmp_path: Path) -> None:
    port, requests = free_port(), 60
    environment = {
        **{name: value for name, value in os.environ.items() if name != MULTIPROCESS_ENV},
        "VCLINIC_DEV_MODE": "true",
        "VCLINIC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'vclinic.db'}",
        "VCLINIC_VAR_DIR": str(tmp_path / "var"),
        "VCLINIC_OUTBOX_DISPATCHER_ENABLED": "false",
        "VCLINIC_LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=environment, check=True)
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        served = 0
        while served < requests and time.monotonic() < deadline:
            try:
                # A connection each, so that both workers take some of them.
                served += httpx.get(f"{base_url}/healthz", timeout=5.0).status_code == 200
            except httpx.TransportError:
                time.sleep(0.2)
        scraped = [healthz_requests(httpx.get(f"{base_url}/metrics", timeout=5.0).text) for _ in range(4)]
    finally:
        server.terminate()
        server.wait(timeout=STARTUP_SECONDS)

    assert served == requests
    assert scraped == [requests] * 4
