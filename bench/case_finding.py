"""One nephrology case-finding pass over a whole practice exported as FHIR Bulk Data, at three practice sizes.

Run: ``python -m bench.case_finding`` (``--sizes 1000,10000`` to choose). For each size the bench writes the
practice to disk as Bulk NDJSON (Patient, Observation, Condition, MedicationRequest, MedicationStatement),
streaming, a patient at a time: most patients are routine (kidney function, ACR, HbA1c and a lipid profile
for years, all unremarkable), and about one in seven follows one of the demo practice's stories, which between
them meet every case-finding rule. A small server of its own (``bench._bulk_files``) serves the files as a
``$export``, and a fresh process per size runs one pass through the real pipeline (Bulk Data client, spill,
FHIR parsing, summary, rules, findings stored in a fresh PostgreSQL database), so each size's peak memory is
its own.

The pass's wall time (``wall s``) is shown beside its CPU time (``cpu s``: its own process's and, for a
practice large enough to be examined in a pool of processes, the pool's), and the split is in CPU seconds:
``download`` is the files fetched over HTTP alone, ``json`` the rest of the export stream (lines split; the
client parses a line only when it must look inside it), ``spill`` lines written to disk unparsed,
``examine`` the rest (the spill read back, each patient's lines parsed once, the record, the summary, the
rules, storing what they found). ``wall x`` and ``cpu x`` are the pass's wall time and CPU, and ``export x``
the export's alone, against ``orjson.loads`` over the same lines.
Targets: 10,000 patients in under 60 s, peak memory under 500 MB at any size, and at most 2.5x orjson.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

from adapters.demo.diabetes_stories import hba1c
from adapters.demo.generator import patient_resources
from adapters.demo.lipids_stories import profile
from adapters.demo.practice import ALL_STORIES
from adapters.demo.stories import AMLODIPINE, ATORVASTATIN, HYPERTENSION, Diagnosis, Drug, Story
from bench._postgres import fresh_database
from bench.load import _child, _free_port
from schemas.bulk import BulkLines
from schemas.clinical import SourceRecord
from schemas.nhs_number import nhs_number_check_digit

PRACTICE = "B12345"
SPECIALTY = "nephrology"
SIZES = (1_000, 10_000, 30_000)
GENERATE_LIMIT_SECONDS = 180.0
STORY_SHARE = 0.15
EXPORTED = ("Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement", "Medication")
TARGET_SECONDS, TARGET_PATIENTS, TARGET_MB, TARGET_RATIO = 60.0, 10_000, 500.0, 2.5


# --- the practice ------------------------------------------------------------------------------------------


def _routine_stories() -> tuple[Story, ...]:
    """Unremarkable patients with years of routine bloods: the bulk of any practice's export."""
    stories = []
    for number in range(12):
        female = number % 2 == 0
        egfr = 92 - 3 * number
        stories.append(
            Story(
                "Routine monitoring, nothing to find.",
                "Ann" if female else "Omar",
                f"Routine{number}",
                "female" if female else "male",
                40 + 3 * number,
                ((5, egfr + 3), (0, egfr)),
                acr=((5, 0.8), (0, 1.1)),
                interval_days=182,
                hba1c=38.0 + number % 4,
                drugs=(Drug(AMLODIPINE, 3),) if number % 3 == 0 else (Drug(ATORVASTATIN, 4),),
                diagnoses=(Diagnosis(HYPERTENSION, 3),) if number % 3 == 0 else (),
                results=(
                    *profile(5.1 + number / 20, 1.4, 3.0, 1.3),
                    hba1c((3, 38 + number % 4), (0, 39 + number % 4), interval_days=182),
                ),
            )
        )
    return tuple(stories)


@dataclass(slots=True)
class _Template:
    """One patient's lines with their patient id and NHS number left as holes."""

    patient_id: bytes
    nhs_number: bytes
    lines: list[tuple[str, bytes]] = field(default_factory=list)


def _templates(today: date) -> tuple[list[_Template], list[_Template]]:
    """Routine patients and the demo's story patients, each as NDJSON lines to copy."""
    routine = _routine_stories()
    built = patient_resources(routine + ALL_STORIES, today)
    templates = []
    for (nhs_number, resources), index in zip(built, range(1, len(built) + 1), strict=True):
        # Each patient's ids are ``demo-NN…``; two digits keep one patient's id from prefixing another's.
        assert index < 100
        template = _Template(f"demo-{index:02d}".encode(), nhs_number.encode())
        for item in resources:
            if item["resourceType"] in EXPORTED:
                template.lines.append((item["resourceType"], orjson.dumps(item) + b"\n"))
        templates.append(template)
    return templates[: len(routine)], templates[len(routine) :]


def _nhs_numbers() -> Iterator[bytes]:
    for first_nine in range(900_000_000, 1_000_000_000):
        check = nhs_number_check_digit(str(first_nine))
        if check is not None:
            yield f"{first_nine}{check}".encode()


def write_practice(directory: Path, patients: int, today: date) -> int:
    """The practice's export files and manifest, written a patient at a time; how many resources they hold."""
    routine, stories = _templates(today)
    chooser = random.Random(f"case-finding-bench-{patients}")
    files: dict[str, IO[bytes]] = {kind: (directory / f"{kind}.ndjson").open("wb") for kind in EXPORTED}
    counts = dict.fromkeys(EXPORTED, 0)
    numbers = _nhs_numbers()
    try:
        for position in range(patients):
            pool = stories if chooser.random() < STORY_SHARE else routine
            template = pool[chooser.randrange(len(pool))]
            patient_id, nhs_number = f"bench-{position:06d}".encode(), next(numbers)
            for kind, line in template.lines:
                files[kind].write(
                    line.replace(template.patient_id, patient_id).replace(template.nhs_number, nhs_number)
                )
                counts[kind] += 1
    finally:
        for file in files.values():
            file.close()
    manifest = {
        "transactionTime": datetime.now(UTC).isoformat(),
        "request": "/fhir/Patient/$export",
        "requiresAccessToken": False,
        "output": [
            {"type": kind, "url": f"/bulk/files/{kind}.ndjson", "count": count}
            for kind, count in counts.items()
            if count
        ],
        "error": [],
    }
    (directory / "manifest.json").write_bytes(orjson.dumps(manifest))
    return sum(counts.values())


# --- one pass, in a process of its own ---------------------------------------------------------------------


@dataclass(slots=True)
class _Clock:
    """Where the export's time goes, measured around the real pipeline's export port."""

    stream: float = 0.0
    export_ended: float = 0.0


class _TimedExport:
    """The real export, timed: how long the stream kept the pipeline waiting. Reading patients is not timed
    here: in a pool it runs in other processes, whose CPU the run's progress reports."""

    def __init__(self, export: Any, clock: _Clock) -> None:
        self._export = export
        self._clock = clock

    def export(
        self, practice_ods: str, resource_types: tuple[str, ...], **options: Any
    ) -> AbstractAsyncContextManager[AsyncIterator[BulkLines]]:
        return self._timed(practice_ods, resource_types, options)

    @asynccontextmanager
    async def _timed(
        self, practice_ods: str, resource_types: tuple[str, ...], options: dict[str, Any]
    ) -> AsyncIterator[AsyncIterator[BulkLines]]:
        async with self._export.export(practice_ods, resource_types, **options) as stream:
            yield self._stream(stream)

    async def _stream(self, stream: AsyncIterator[BulkLines]) -> AsyncIterator[BulkLines]:
        """The batches as they come, timed a batch at a time: reading the clock twice a line would itself be
        a noticeable share of what is timed."""
        while True:
            started = time.process_time()
            try:
                batch = await anext(stream)
            except StopAsyncIteration:
                self._clock.stream += time.process_time() - started
                self._clock.export_ended = time.process_time()
                return
            self._clock.stream += time.process_time() - started
            yield batch

    def read_patient(
        self, practice_ods: str, patient: dict[str, Any], resources: list[dict[str, Any]]
    ) -> SourceRecord:
        record: SourceRecord = self._export.read_patient(practice_ods, patient, resources)
        return record


def _practices_toml(base_url: str) -> str:
    return (
        f'[practices.{PRACTICE}]\nname = "Bench practice"\nadapter = "fhir-r4"\nbase_url = "{base_url}"\n'
        'delivery = "feed"\ntimeout_seconds = 30\ncase_finding = true\n'
    )


async def _run_pass(root: Path, base_url: str, database_url: str) -> dict[str, float]:
    from app.audit.service import AuditLog
    from app.case_finding.examine import pool_processes
    from app.case_finding.models import CaseFindingRun
    from app.case_finding.pipeline import CaseFindingRunner, RunLimits, RunProgress
    from app.case_finding.service import start_run
    from app.case_finding.wiring import COMMAND_LINE, BulkPopulationExport, specialty_settings_for
    from app.core.config import Settings
    from app.core.db import create_engine, session_factory
    from app.migrations.runner import migrate_to_head
    from app.records.wiring import check_practices_file
    from app.specialties.registry import analyte_catalogue
    from schemas.api.case_finding import RunCreate

    practices_file = root / "practices.toml"
    practices_file.write_text(_practices_toml(base_url), encoding="utf-8")
    settings = Settings(
        dev_mode=True,
        database_url=database_url,
        var_dir=root / "var",
        practices_file=practices_file,
        outbox_dispatcher_enabled=False,
        log_level="WARNING",
    )
    await asyncio.to_thread(migrate_to_head, settings)
    config = check_practices_file(settings)
    engine = create_engine(settings)
    audit_log = AuditLog.from_settings(settings, session_factory(engine))
    clock = _Clock()
    runner = CaseFindingRunner(
        audit_log,
        _TimedExport(BulkPopulationExport(config.practices, settings=settings), clock),
        catalogue=analyte_catalogue(),
        specialty_settings=specialty_settings_for(config),
        limits=RunLimits(
            lease=timedelta(seconds=settings.case_finding_lease_seconds),
            max_attempts=settings.case_finding_max_leases,
            ceiling_seconds=settings.case_finding_run_ceiling_seconds,
            progress_every=settings.case_finding_progress_every,
            processes=pool_processes(settings.case_finding_processes),
            pool_from=settings.case_finding_pool_from,
        ),
        clock=lambda: datetime.now(UTC),
    )
    try:
        async with audit_log.unit_of_work() as session:
            run = await start_run(
                session,
                author=COMMAND_LINE,
                submission=RunCreate(practice_ods=PRACTICE, specialty=SPECIALTY),
                practices=config.practices,
                now=datetime.now(UTC),
            )
        started, cpu_started = time.perf_counter(), time.process_time()
        progress = RunProgress()
        await runner.run_next(run_id=run.id, progress=progress)
        ended, cpu_ended = time.perf_counter(), time.process_time()
        async with session_factory(engine)() as session:
            done = await session.get(CaseFindingRun, run.id)
            assert done is not None
            if done.status != "done":
                raise SystemExit(f"the run ended {done.status}: {done.error}")
            scanned, findings = done.patients_scanned, done.findings_count
    finally:
        await engine.dispose()
    return {
        "seconds": ended - started,
        "cpu": cpu_ended - cpu_started + progress.cpu_seconds_elsewhere,
        "pool_cpu": progress.cpu_seconds_elsewhere,
        "pool_peak_mb": progress.peak_mb_elsewhere,
        "export": clock.export_ended - cpu_started,
        "stream": clock.stream,
        "after_export": cpu_ended - clock.export_ended + progress.cpu_seconds_elsewhere,
        "scanned": float(scanned),
        "findings": float(findings),
    }


def _download_seconds(base_url: str, manifest: dict[str, Any]) -> float:
    """The CPU of fetching the export's files over HTTP and throwing them away: the floor any pass pays."""
    started = time.process_time()
    with httpx.Client(base_url=base_url.removesuffix("/fhir"), timeout=60.0) as http:
        for file in manifest["output"]:
            with http.stream("GET", file["url"]) as response:
                for _ in response.iter_bytes():
                    pass
    return time.process_time() - started


def _orjson_seconds(directory: Path, manifest: dict[str, Any]) -> float:
    """The CPU of ``orjson.loads`` over every line, less that of reading the lines alone."""
    total = 0.0
    for parse in (False, True):
        started = time.process_time()
        for file in manifest["output"]:
            with (directory / Path(file["url"]).name).open("rb") as lines:
                for line in lines:
                    if parse:
                        orjson.loads(line)
        total = time.process_time() - started - total
    return total


def one_pass(directory: Path, base_url: str, database_url: str) -> None:
    """The child's work: one pass, then the floors, then this process's peak memory, as JSON on stdout."""
    with tempfile.TemporaryDirectory(prefix="vclinic-bench-cf-") as root:
        figures = asyncio.run(_run_pass(Path(root), base_url, database_url))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    manifest = orjson.loads((directory / "manifest.json").read_bytes())
    figures["download"] = _download_seconds(base_url, manifest)
    figures["orjson"] = _orjson_seconds(directory, manifest)
    figures["peak_mb"] = peak_mb
    print(json.dumps(figures))


# --- the table ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    patients: int
    resources: int
    generate: float
    figures: dict[str, float]


def _measure(patients: int, root: Path) -> _Row:
    directory = root / f"practice-{patients}"
    directory.mkdir()
    started = time.perf_counter()
    resources = write_practice(directory, patients, date.today())
    generate = time.perf_counter() - started
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/fhir"
    server = [sys.executable, "-m", "bench._bulk_files", str(directory), str(port)]
    with (
        _child(server, dict(os.environ), f"{base_url}/metadata", "the bulk file server"),
        fresh_database("case_finding") as database_url,
    ):
        child = [
            sys.executable, "-m", "bench.case_finding", "--pass", str(directory), base_url, database_url,
        ]  # fmt: skip
        done = subprocess.run(child, check=True, capture_output=True, text=True)
    for kind in (*EXPORTED, "manifest"):
        (directory / f"{kind}.{'json' if kind == 'manifest' else 'ndjson'}").unlink(missing_ok=True)
    return _Row(patients, resources, generate, json.loads(done.stdout.strip().splitlines()[-1]))


def _print_table(rows: list[_Row]) -> None:
    head = (
        f"{'patients':>9}{'resources':>11}{'gen s':>7}{'wall s':>8}{'cpu s':>7}{'download':>10}{'json':>7}"
        f"{'spill':>7}{'examine':>9}{'peak MB':>9}{'pool MB':>9}{'findings':>10}{'orjson s':>10}"
        f"{'wall x':>8}{'cpu x':>7}{'export x':>10}"
    )
    print(head)
    for row in rows:
        f = row.figures
        json_seconds = max(f["stream"] - f["download"], 0.0)
        # The spill is written during the export (time the stream did not take) and read back after it.
        spill = f["export"] - f["stream"]
        print(
            f"{row.patients:>9,}{row.resources:>11,}{row.generate:>7.1f}{f['seconds']:>8.1f}{f['cpu']:>7.1f}"
            f"{f['download']:>10.1f}{json_seconds:>7.1f}{spill:>7.1f}{f['after_export']:>9.1f}"
            f"{f['peak_mb']:>9.0f}{f['pool_peak_mb']:>9.0f}{int(f['findings']):>10,}{f['orjson']:>10.2f}"
            f"{f['seconds'] / f['orjson']:>8.1f}{f['cpu'] / f['orjson']:>7.1f}"
            f"{f['export'] / f['orjson']:>10.1f}"
        )
    print(
        f"targets: {TARGET_PATIENTS:,} patients in under {TARGET_SECONDS:g} s, peak under {TARGET_MB:g} MB, "
        f"at most {TARGET_RATIO:g}x orjson.loads over the same lines"
    )
    print("'cpu s' is the pass's CPU in its own process and its pool's (not the file server's or")
    print("PostgreSQL's), split from 'download' to 'examine' (the store read back, each patient's lines")
    print("parsed, read into a record, summarised and given to the rules, what was found stored); 'pool MB'")
    print("is the most one pool process held (0: no pool). 'wall x' and 'cpu x' are the pass's wall time and")
    print("CPU against orjson.loads' CPU over the same lines, 'export x' the export's alone.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.case_finding")
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument("--pass", dest="one_pass", nargs=3, metavar=("DIRECTORY", "BASE_URL", "DATABASE_URL"))
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    if args.one_pass:
        directory, base_url, database_url = args.one_pass
        one_pass(Path(directory), base_url, database_url)
        return
    rows: list[_Row] = []
    with tempfile.TemporaryDirectory(prefix="vclinic-bench-cf-") as temporary:
        for patients in (int(size) for size in args.sizes.split(",")):
            if rows and patients > rows[-1].patients:
                # The generator writes at a steady rate; a size it would take too long to write is left out.
                expected = rows[-1].generate * patients / rows[-1].patients
                if expected > GENERATE_LIMIT_SECONDS:
                    print(f"{patients:,} patients skipped: writing them would take {expected:.0f} s here")
                    continue
            rows.append(_measure(patients, Path(temporary)))
            print(f"{patients:,} patients measured", flush=True)
    _print_table(rows)


if __name__ == "__main__":
    main()
