"""Examining a run's patients: each one's exported lines read into a record, summarised and given to the
specialty's case-finding rules, exactly as a consultant's summary is built.

The work is the same wherever it runs: in the worker's own process, or, for a large practice, in a pool of
processes, one per core (``VCLINIC_CASE_FINDING_PROCESSES``), which is most of a run's time shared between
them. Patients go to the pool as the bytes the population store holds, in batches, and come back as what was
found, in the order they went; at most a few batches are out at once, so memory stays bounded whatever the
practice's size. The pool's processes are forked from a server process that has already imported what
examining needs (``forkserver``), never from the worker itself, which holds threads and connections.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import resource
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from app.case_finding.spill import parsed_lines
from app.records.analytes import AnalyteCatalogue
from app.records.normalise import normalise_record
from app.specialties.base import CaseFinding, SummaryContext
from app.specialties.registry import SPECIALTIES
from schemas.clinical import SourceFailure, SourceRecord

PatientReader = Callable[[dict[str, Any], list[dict[str, Any]]], SourceRecord]
# A batch's patients, as stored: the Patient's line and the lines about them.
StoredPatient = tuple[bytes, list[bytes]]
BATCH_PATIENTS = 100
_BATCHES_OUT_PER_PROCESS = 2


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


Examine = Callable[[Iterable[list[StoredPatient]]], AsyncGenerator["ExaminedBatch", None]]


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


# A pool process's examiner, sent once when the process starts rather than with every batch.
_examiner: Examiner | None = None


def _ready_to_examine(examiner: Examiner) -> None:
    global _examiner
    _examiner = examiner
    # What the server process imported is never garbage: left out of the collector's full passes.
    gc.freeze()


def _examine_here(patients: list[StoredPatient]) -> ExaminedBatch:
    assert _examiner is not None, "a pool process starts with its examiner"
    return _examiner.examine(patients)


@asynccontextmanager
async def examining(examiner: Examiner, *, processes: int) -> AsyncIterator[Examine]:
    """A function that examines batches of patients and yields each batch's results, in order: in this
    process when ``processes`` is 1, else in a pool of that many, shut down when the block ends."""
    if processes <= 1:

        async def here(batches: Iterable[list[StoredPatient]]) -> AsyncGenerator[ExaminedBatch, None]:
            for batch in batches:
                yield examiner.examine(batch)
                await asyncio.sleep(0)  # the run's heartbeat must be able to renew its lease

        yield here
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(
        processes, mp_context=context, initializer=_ready_to_examine, initargs=(examiner,)
    )
    try:
        yield lambda batches: _in_pool(pool, batches, processes * _BATCHES_OUT_PER_PROCESS)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


async def _in_pool(
    pool: Executor, batches: Iterable[list[StoredPatient]], most_out: int
) -> AsyncGenerator[ExaminedBatch, None]:
    out: deque[Future[ExaminedBatch]] = deque()
    try:
        for batch in batches:
            out.append(pool.submit(_examine_here, batch))
            if len(out) >= most_out:
                yield await asyncio.wrap_future(out.popleft())
        while out:
            yield await asyncio.wrap_future(out.popleft())
    finally:
        for future in out:
            future.cancel()
