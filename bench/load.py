"""Throughput and latency of six routes under a real load generator, with one worker and then two.

Run: ``python -m bench.load`` (needs Debian's ``wrk``: ``apt-get install wrk``; benchmarks are not run in CI).
Everything is on 127.0.0.1. The mock GP (``vclinic mock-gp``, indexed) serves the demo practice with no added
latency; the service runs with ``vclinic serve --workers N`` outside dev mode, on a fresh PostgreSQL database
that the bench creates and drops, trusting a signing key the bench makes (``VCLINIC_JWKS``), with a practices
file pointing at the mock GP. Through the API the practice asks one advice question for each of 30 patients,
and a consultant puts the 30 on a clinic. Each route is then loaded by ``wrk`` for a short warm-up and a
bounded run: ``/healthz``; a summary (rotating over the 30 patients, their records kept by the record cache
the worklist shares); the clinic's worklist of 30 (cached, as the warm-up leaves it); the consultant's advice
list; the practice's feed; and an advice write (a consultant's message, rotating over the 30 requests, each
with its own Idempotency-Key). Then the service is started again with the record cache off, and the summary
is loaded once more: each read then fetches the record from the GP ("summary, fetched").

The table shows requests per second, p50 and p99 in ms, each route's throughput as a share of ``/healthz``'s
in the same run, the 2-worker/1-worker throughput ratio, that ratio as a share of ``/healthz``'s, and the
target the figures are held to, with whether they meet it.
wrk, PostgreSQL, the mock GP and the service share the machine's cores, so the ratios matter more than the
absolute figures.
"""

from __future__ import annotations

import os
import secrets
import socket
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

from adapters.demo import DEMO_PATIENTS, DEMO_PRACTICE_ODS, write_demo_practice
from bench._identity import AUDIENCE, ISSUER, BenchIdentity
from bench._postgres import fresh_database
from bench._wrk import INSTALL_HINT, Load, Route, run_wrk, wrk_missing

SECONDS = 10
WARM_UP_SECONDS = 2
CONNECTIONS = 8
WORKER_COUNTS = (1, 2)
# Two workers each import the whole app; on a busy shared machine that has taken over a minute.
STARTUP_SECONDS = 180.0
PATIENTS = [patient.nhs_number for patient in DEMO_PATIENTS[:30]]
SPECIALTY = "nephrology"
CONSULTANT = {"sub": "dr-lee", "role": "consultant", "specialty": SPECIALTY, "name": "Dr Lee"}
PRACTICE = {"sub": "gp-system-1", "role": "gp-system", "ods": DEMO_PRACTICE_ODS}
WORKLIST = "worklist of 30, cached"
FETCHED_SUMMARY = "summary, fetched"
WORKLIST_PER_SECOND, WORKLIST_SHARE, SUMMARY_SHARE = 100.0, 0.9, 1 / 20


@dataclass(frozen=True)
class Fixture:
    clinic_id: str
    advice_request_ids: list[str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=1.0).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


@contextmanager
def _child(command: list[str], environment: dict[str, str], up_url: str, what: str) -> Iterator[None]:
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(up_url, process, what)
        yield
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_SECONDS)


@contextmanager
def _mock_gp(records: Path) -> Iterator[str]:
    """The indexed mock GP in a process of its own; yields its FHIR base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/fhir"
    command = [sys.executable, "-m", "app.cli", "mock-gp", "--port", str(port), "--data", str(records)]
    with _child(command, dict(os.environ), f"{base_url}/metadata", "the mock GP"):
        yield base_url


def _practices_toml(base_url: str) -> str:
    practice = f'[practices.{DEMO_PRACTICE_ODS}]\nname = "Bench practice"\nadapter = "fhir-r4"\n'
    placed = [f'"{nhs_number}" = "{DEMO_PRACTICE_ODS}"' for nhs_number in PATIENTS]
    directory = ['[directory]\nadapter = "static"\n\n[directory.patients]', *placed]
    return "\n".join([practice + f'base_url = "{base_url}"\n', *directory, ""])


def _service_environment(
    root: Path, database_url: str, identity: BenchIdentity, gp_url: str
) -> dict[str, str]:
    practices_file = root / "practices.toml"
    practices_file.write_text(_practices_toml(gp_url), encoding="utf-8")
    return {
        **os.environ,
        "VCLINIC_DEV_MODE": "false",
        "VCLINIC_DATABASE_URL": database_url,
        "VCLINIC_VAR_DIR": str(root / "var"),
        "VCLINIC_SECRET_KEY": secrets.token_urlsafe(32),
        "VCLINIC_AUDIT_KEY": secrets.token_urlsafe(32),
        "VCLINIC_JWKS": str(identity.jwks_path),
        "VCLINIC_JWT_ISSUER": ISSUER,
        "VCLINIC_JWT_AUDIENCE": AUDIENCE,
        "VCLINIC_PRACTICES_FILE": str(practices_file),
        "VCLINIC_LOG_LEVEL": "WARNING",
        "VCLINIC_OUTBOX_DISPATCHER_ENABLED": "false",
        # The records stay cached for the whole bench, so the worklist route measures the cached read.
        "VCLINIC_CLINIC_SUMMARY_TTL_SECONDS": "3600",
    }


def _without_record_cache(environment: dict[str, str]) -> dict[str, str]:
    return environment | {"VCLINIC_CLINIC_SUMMARY_TTL_SECONDS": "0"}


@contextmanager
def _service(environment: dict[str, str], workers: int) -> Iterator[str]:
    """``vclinic serve --workers N`` on a free port; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)]
    base_url = f"http://127.0.0.1:{port}"
    with _child(command, environment, f"{base_url}/healthz", "the service"):
        yield base_url


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _posted(client: httpx.Client, path: str, token: str, body: object) -> dict[str, object]:
    headers = _bearer(token) | {"Idempotency-Key": secrets.token_hex(8)}
    answer: dict[str, object] = client.post(path, json=body, headers=headers).raise_for_status().json()
    return answer


def _set_up(base_url: str, practice: str, consultant: str) -> Fixture:
    """Through the API: the practice's 30 advice questions, and a clinic with the 30 patients on it."""
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        question = {
            "specialty": SPECIALTY,
            "question": "eGFR falling; please advise",
            "urgency": "routine",
            # Some of the demo patients meet no referral criterion; the reason lets every request in.
            "outside_criteria_reason": "Asked for the load test whatever the criteria say.",
        }
        request_ids = [
            str(_posted(client, "/v1/advice-requests", practice, question | {"nhs_number": nhs})["id"])
            for nhs in PATIENTS
        ]
        clinic = {
            "specialty": SPECIALTY,
            "date": date.today().isoformat(),
            "consultant": {"sub": CONSULTANT["sub"], "name": CONSULTANT["name"]},
        }
        clinic_id = str(_posted(client, "/v1/clinics", consultant, clinic)["id"])
        for nhs_number in PATIENTS:
            entry = {"nhs_number": nhs_number, "reason": "eGFR falling on the monthly search"}
            _posted(client, f"/v1/clinics/{clinic_id}/entries", consultant, entry)
    return Fixture(clinic_id, request_ids)


def _routes(fixture: Fixture, practice: str, consultant: str) -> list[Route]:
    message = orjson.dumps({"body": "Please repeat the U&E in two weeks."}).decode()
    return [
        Route("/healthz", ("/healthz",)),
        _summary_route("summary, record cached", consultant),
        Route(WORKLIST, (f"/v1/clinics/{fixture.clinic_id}/worklist",), consultant),
        Route("advice list", ("/v1/advice-requests",), consultant),
        Route("feed", (f"/v1/practices/{DEMO_PRACTICE_ODS}/feed",), practice),
        Route(
            "advice write",
            tuple(f"/v1/advice-requests/{i}/messages" for i in fixture.advice_request_ids),
            consultant,
            method="POST",
            body=message,
        ),
    ]


def _summary_route(name: str, consultant: str) -> Route:
    return Route(name, tuple(f"/v1/patients/{n}/summaries/{SPECIALTY}" for n in PATIENTS), consultant)


def _load_each(base_url: str, routes: list[Route]) -> dict[str, Load]:
    measured = {}
    for route in routes:
        run_wrk(base_url, route, seconds=WARM_UP_SECONDS, connections=CONNECTIONS)
        measured[route.name] = run_wrk(base_url, route, seconds=SECONDS, connections=CONNECTIONS)
    return measured


def _row(*cells: object) -> str:
    return f"{cells[0]!s:<24}" + "".join(f"{cell!s:>10}" for cell in cells[1:])


def _met(met: bool) -> str:
    return "met" if met else "NOT MET"


def _target(name: str, single: Load, health: Load, share: float) -> str:
    """The route's target and whether this run meets it; empty for a route without one."""
    if name == WORKLIST:
        met = single.per_second >= WORKLIST_PER_SECOND and share >= WORKLIST_SHARE
        return f"  1w >= {WORKLIST_PER_SECOND:g}/s, share >= {WORKLIST_SHARE:g}: {_met(met)}"
    if name == FETCHED_SUMMARY:
        met = single.per_second / health.per_second >= SUMMARY_SHARE
        return f"  1w ÷healthz >= 1/{1 / SUMMARY_SHARE:g}: {_met(met)}"
    return ""


def _print_table(by_workers: dict[int, dict[str, Load]]) -> None:
    one, two = by_workers[1], by_workers[2]
    health_scaling = two["/healthz"].per_second / one["/healthz"].per_second
    print(
        f"wrk, {CONNECTIONS} connections, {SECONDS} s a route after {WARM_UP_SECONDS} s of warm-up; "
        f"PostgreSQL; {len(PATIENTS)} patients"
    )
    print(
        _row("route", "1w req/s", "p50 ms", "p99 ms", "÷healthz", "2w req/s", "p50 ms", "p99 ms", "÷healthz")
        + _row("", "2w/1w", "share", "failed")[24:]
        + "  target"
    )
    for name, single in one.items():
        double = two[name]
        scaling = double.per_second / single.per_second
        cells: list[object] = [name]
        for load, health in ((single, one["/healthz"]), (double, two["/healthz"])):
            ratio = load.per_second / health.per_second
            cells += [f"{load.per_second:.1f}", f"{load.p50_ms:.1f}", f"{load.p99_ms:.1f}"]
            cells.append(f"1/{1 / ratio:.1f}")
        share = scaling / health_scaling
        cells += [f"{scaling:.2f}", f"{share:.2f}", single.failed + double.failed]
        print(_row(*cells) + _target(name, single, one["/healthz"], share))


def main() -> None:
    if wrk_missing():
        print(INSTALL_HINT)
        return
    with tempfile.TemporaryDirectory() as temporary, fresh_database("load") as database_url:
        root = Path(temporary)
        write_demo_practice(root / "records", date.today())
        identity = BenchIdentity.create(root)
        practice, consultant = identity.token(**PRACTICE), identity.token(**CONSULTANT)
        with _mock_gp(root / "records") as gp_url:
            environment = _service_environment(root, database_url, identity, gp_url)
            subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=environment, check=True)
            by_workers: dict[int, dict[str, Load]] = {}
            fixture: Fixture | None = None
            for workers in WORKER_COUNTS:
                with _service(environment, workers) as base_url:
                    fixture = fixture or _set_up(base_url, practice, consultant)
                    by_workers[workers] = _load_each(base_url, _routes(fixture, practice, consultant))
                with _service(_without_record_cache(environment), workers) as base_url:
                    fetched = _load_each(base_url, [_summary_route(FETCHED_SUMMARY, consultant)])
                by_workers[workers] |= fetched
    _print_table(by_workers)


if __name__ == "__main__":
    main()
