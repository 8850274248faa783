"""Prometheus metrics: request counts and latency by route template and status.

With several workers each process counts for itself, so ``/metrics`` would answer for whichever worker took
the scrape. ``vclinic serve --workers N`` therefore gives the workers a shared directory (prometheus_client's
multiprocess mode, chosen when the client library is first imported, so set before the workers start) where
each writes its values to files, and ``/metrics`` adds up every process's files.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "vclinic_http_requests_total",
    "HTTP requests served, by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "vclinic_http_request_duration_seconds",
    "HTTP request latency, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)


def share_metrics_between_workers(var_dir: Path) -> Path:
    """Points this process and the workers it starts at an emptied directory for their metric files.

    Emptied because files left by an earlier run's workers would otherwise be added to this run's counts.
    """
    directory = var_dir / "prometheus-multiproc"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(directory)
    return directory


def worker_stopped() -> None:
    """Marks this worker dead, so its live gauges stop counting; its counters go on adding to the totals."""
    if os.environ.get(MULTIPROCESS_ENV):
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def render_metrics() -> tuple[bytes, str]:
    directory = os.environ.get(MULTIPROCESS_ENV)
    if not directory:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    every_worker = CollectorRegistry()
    MultiProcessCollector(every_worker, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(every_worker), CONTENT_TYPE_LATEST
