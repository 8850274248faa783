"""Examining a run's patients: each one's exported lines read into a record, summarised and given to the
specialty's case-finding rules, exactly as a consultant's summary is built.

The work is the same wherever it runs: in the worker's own process, or, for a large practice, in a pool of
processes, one per core (``VCLINIC_CASE_FINDING_PROCESSES``), which is most of a run's time shared between
them. The pool's processes are given ranges of patients by id and read them from the committed population
store themselves, so no record passes between processes; what they found comes back in the order the ranges
went, and at most a few ranges are out at once, so memory stays bounded whatever the practice's size.
The pool's processes are forked from a server process that has already imported what examining needs
(``forkserver``), never from the worker itself, which holds threads and connections.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import resource
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

import orjson

from app.case_finding.spill import PatientRange, StoredPatient, StoredPopulation, parsed_lines
from app.records.analytes import AnalyteCatalogue
from app.records.normalise import normalise_record
from app.specialties.base import CaseFinding, SummaryContext
from app.specialties.registry import SPECIALTIES
from schemas.clinical import SourceFailure, SourceRecord

PatientReader = Callable[[dict[str, Any], list[dict[str, Any]]], SourceRecord]
BATCH_PATIENTS = 100
_RANGES_OUT_PER_PROCESS = 2


@dataclass(frozen=True, slots=True)
class Examined:
    """One patient examined: ``nhs_number`` None when their Patient could not be read (no NHS number, say),
    so there is no one to raise a finding for."""

    nhs_number: str | None
    name: str | None
    findings: tuple[CaseFinding, ...]


@dataclass(frozen=True, slots=True)
class ExaminedBatch:
    """A batch's patients examined, with the CPU it took and the peak memory of the process it ran in."""

    patients: list[Examined]
    cpu_seconds: float
    peak_mb: float


@dataclass(frozen=True, slots=True)
class Examiner:
    """Everything examining needs, plain enough to be sent to another process: ``read_patient`` reads a
    Patient and the resources about them into the record (the export's reader, bound to the practice)."""

    read_patient: PatientReader
    specialty: str
    context: SummaryContext
    catalogue: AnalyteCatalogue

    def examine(self, patients: list[StoredPatient]) -> ExaminedBatch:
        started = time.process_time()
        specialty = SPECIALTIES[self.specialty]
        examined = []
        # Each record is a tree of objects that lives until the next patient's: the collector's automatic
        # passes would traverse it again and again, so they wait until the batch is done.
        automatic = gc.isenabled()
        gc.disable()
        try:
            for patient, lines in patients:
                resources, unreadable = parsed_lines(lines)
                try:
                    source = self.read_patient(orjson.loads(patient), resources)
                except ValueError:
                    examined.append(Examined(None, None, ()))
                    continue
                if unreadable:
                    # The record is incomplete: rules resting on something being absent find nothing.
                    detail = f"{unreadable} lines of the export are not JSON; left out"
                    source.failures.append(SourceFailure("export", detail))
                record = normalise_record(source, self.catalogue)
                summary = specialty.build_summary(record, self.context)
                found = specialty.case_findings(summary, record, self.context)
                examined.append(Examined(record.patient.nhs_number, record.patient.name, found))
        finally:
            if automatic:
                gc.enable()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return ExaminedBatch(examined, time.process_time() - started, peak_mb)


def batched(patients: Iterable[StoredPatient], size: int = BATCH_PATIENTS) -> Iterator[list[StoredPatient]]:
    batch: list[StoredPatient] = []
    for patient in patients:
        batch.append(patient)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def pool_processes(configured: int) -> int:
    """The processes a pool has: as configured, or (0) one per core this process may run on."""
    return configured or len(os.sched_getaffinity(0))


def _forkserver() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def warm_pool() -> None:
    """Starts the server the pool's processes are forked from, if it is not running: it imports what
    examining needs (a few seconds) in a process of its own while this one reads the export."""
    _forkserver()
    forkserver.ensure_running()


async def examined_here(
    examiner: Examiner, patients: Iterable[StoredPatient]
) -> AsyncGenerator[ExaminedBatch, None]:
    """The patients examined in this process, a batch at a time."""
    for batch in batched(patients):
        yield examiner.examine(batch)
        await asyncio.sleep(0)  # the run's heartbeat must be able to renew its lease


async def examined_in_pool(
    examiner: Examiner, store: Path, ranges: list[PatientRange], *, processes: int
) -> AsyncGenerator[ExaminedBatch, None]:
    """The patients of a committed store examined in a pool of ``processes``, each process reading the
    ranges it is given from the store itself (so no record's bytes pass through this process), in order;
    the pool is shut down when the generator is closed."""
    pool = ProcessPoolExecutor(
        processes, mp_context=_forkserver(), initializer=_ready_to_examine, initargs=(examiner, store)
    )
    out: deque[Future[ExaminedBatch]] = deque()
    try:
        for first, last in ranges:
            out.append(pool.submit(_examine_range, first, last))
            if len(out) >= processes * _RANGES_OUT_PER_PROCESS:
                yield await asyncio.wrap_future(out.popleft())
        while out:
            yield await asyncio.wrap_future(out.popleft())
    finally:
        for future in out:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


# A pool process's examiner and store, given once when the process starts rather than with every range.
_examiner: Examiner | None = None
_store: StoredPopulation | None = None


def _ready_to_examine(examiner: Examiner, store: Path) -> None:
    global _examiner, _store
    _examiner, _store = examiner, StoredPopulation(store)
    # What the server process imported is never garbage: left out of the collector's full passes.
    gc.freeze()


def _examine_range(first: str, last: str) -> ExaminedBatch:
    assert _examiner is not None, "a pool process starts with its examiner"
    assert _store is not None, "a pool process starts with its store"
    started = time.process_time()
    examined = _examiner.examine(_store.between(first, last))
    return replace(examined, cpu_seconds=time.process_time() - started)
