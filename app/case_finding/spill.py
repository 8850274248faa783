"""A practice's exported population on disk, in SQLite, grouped by patient: memory stays bounded whatever the
practice's size, since lines are written as they stream in and read back one patient at a time.

A Medication is about no patient: it is kept by its id, and a patient whose MedicationRequests or
-Statements name it (``medicationReference``) is read back with it, as a search with ``_include`` would give.

Lines are stored as the export sent them, never parsed to be written: the patient a line is about, and the
line's own id, are read from its bytes (``subject``/``patient`` ``reference`` and the top-level ``id``), and
only a line those cannot be read from that way is parsed. Each patient's lines are parsed once, together,
when the patient is read back.

The store is either temporary (a full run's own) or a practice's kept population (``path``): an incremental
run applies its export's changes to the population the run before it left (a resource replaces the stored
one of the same type and id, a deleted resource is removed) and reads back only the patients the changes
touched.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from schemas.bulk import BulkLine, named_medication

_BATCH = 1000
SUBJECT = re.compile(rb'"(?:subject|patient)"\s*:\s*\{[^{}]*?"reference"\s*:\s*"([^"\\]*)"')
_COMPACT_SUBJECT = b'"subject":{"reference":"'
_COMPACT_PREFIXES: dict[str, bytes] = {}
_ID = re.compile(rb"[A-Za-z0-9.\-]{1,64}")
OWN_ID = re.compile(rb'^\s*\{\s*"resourceType"\s*:\s*"[A-Za-z]+"\s*,\s*"id"\s*:\s*"([A-Za-z0-9.\-]{1,64})"')
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS patients (id TEXT PRIMARY KEY, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS resources "
    "(kind TEXT NOT NULL, id TEXT, patient TEXT NOT NULL, body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # About no patient: read back with each patient whose requests name it.
    "CREATE TABLE IF NOT EXISTS medications (id TEXT PRIMARY KEY, body BLOB NOT NULL)",
)
# Built once the lines are in (a filling store) or before changes are applied: cheaper than kept up per row.
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_resources_patient ON resources (patient)",
    "CREATE INDEX IF NOT EXISTS ix_resources_id ON resources (kind, id)",
)
LineFilter = Callable[[BulkLine], bool]


def subject_reference(body: bytes) -> bytes | None:
    """The first ``subject`` or ``patient`` ``reference`` in the line's bytes (a line with ``contained``
    resources is not read this way). The compact form most servers write is found without the regex."""
    compact = body.find(_COMPACT_SUBJECT)
    if compact >= 0 and body.find(b'"patient"', 0, compact) < 0 and body.find(b'"subject"', 0, compact) < 0:
        start = compact + len(_COMPACT_SUBJECT)
        end = body.find(b'"', start)
        if end >= 0 and body.find(b"\\", start, end) < 0:
            return body[start:end]
    found = SUBJECT.search(body)
    return found[1] if found else None


def own_id(body: bytes, resource_type: str) -> str | None:
    """The line's own top-level ``id`` when it comes first after ``resourceType``, as servers write it."""
    prefix = _COMPACT_PREFIXES.get(resource_type)
    if prefix is None:
        prefix = _COMPACT_PREFIXES[resource_type] = b'{"resourceType":"%s","id":"' % resource_type.encode()
    if body.startswith(prefix):
        end = body.find(b'"', len(prefix))
        if end >= 0 and _ID.fullmatch(body, len(prefix), end):
            return body[len(prefix) : end].decode()
    own = OWN_ID.match(body)
    return own[1].decode() if own else None


def patient_reference(resource: dict[str, Any]) -> str | None:
    """The id in ``subject`` (or ``patient``) ``…Patient/<id>``; None without one."""
    holder = resource.get("subject") or resource.get("patient")
    reference = holder.get("reference") if type(holder) is dict else None
    if type(reference) is not str:
        return None
    return _patient_id(reference)


def _patient_id(reference: str) -> str | None:
    _, marker, rest = reference.rpartition("Patient/")
    return rest.split("/", 1)[0] or None if marker else None


def _load(line: BulkLine) -> dict[str, Any] | None:
    if line.resource is not None:
        return line.resource
    try:
        resource = orjson.loads(line.line)
    except orjson.JSONDecodeError:
        return None
    return resource if type(resource) is dict else None


def deleted_references(bundle: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(type, id)`` of each resource a ``deleted`` file's Bundle names (its entries' ``request.url``, or
    ``fullUrl``, ``…Type/id``)."""
    for entry in bundle.get("entry") or ():
        if type(entry) is not dict:
            continue
        request = entry.get("request")
        url = request.get("url") if type(request) is dict else None
        url = url if type(url) is str else entry.get("fullUrl")
        if type(url) is not str:
            continue
        parts = url.split("?", 1)[0].rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] and parts[-1]:
            yield parts[-2], parts[-1]


def parsed_lines(lines: list[bytes]) -> tuple[list[dict[str, Any]], int]:
    """A patient's lines parsed in one go, and how many could not be parsed (left out)."""
    if not lines:
        return [], 0
    try:
        parsed: list[Any] = orjson.loads(b"[" + b",".join(lines) + b"]")
    except orjson.JSONDecodeError:
        # One parse for all of them failed: each line alone, leaving out those that are not JSON.
        parsed = []
        for line in lines:
            try:
                parsed.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    resources = [item for item in parsed if type(item) is dict]
    return resources, len(lines) - len(resources)


StoredPatient = tuple[bytes, list[bytes]]
PatientRange = tuple[str, str]
_ALL_ABOUT = "SELECT patient, body FROM resources ORDER BY patient"
_RANGE_ABOUT = "SELECT patient, body FROM resources WHERE patient BETWEEN ? AND ? ORDER BY patient"
_ALL_PATIENTS = "SELECT id, body FROM patients ORDER BY id"
_RANGE_PATIENTS = "SELECT id, body FROM patients WHERE id BETWEEN ? AND ? ORDER BY id"


def stored_between(
    db: sqlite3.Connection, first: str | None = None, last: str | None = None
) -> Iterator[StoredPatient]:
    """The patients with ids from ``first`` to ``last`` (all, without them), in id order: their Patient's
    line, and the lines about them followed by those of the Medications their requests name."""
    whole = first is None or last is None
    bounds = () if whole else (first, last)
    # One pass over each table in patient order, merged: far cheaper than a query per patient.
    rows: Iterator[tuple[str, bytes]] = iter(db.execute(_ALL_ABOUT if whole else _RANGE_ABOUT, bounds))
    pending = next(rows, None)
    for patient_id, body in db.cursor().execute(_ALL_PATIENTS if whole else _RANGE_PATIENTS, bounds):
        while pending is not None and pending[0] < patient_id:
            pending = next(rows, None)  # about no exported patient
        lines: list[bytes] = []
        while pending is not None and pending[0] == patient_id:
            lines.append(pending[1])
            pending = next(rows, None)
        yield body, with_medications(db, lines)


def with_medications(db: sqlite3.Connection, lines: list[bytes]) -> list[bytes]:
    """The lines, then the stored Medications their requests name (read from the lines' bytes); a named one
    not stored is left for the parser to report."""
    named = {found for found in map(named_medication, lines) if found is not None}
    if not named:
        return lines
    wanted = orjson.dumps(sorted(named)).decode()
    query = "SELECT body FROM medications WHERE id IN (SELECT value FROM json_each(?))"
    return lines + [row[0] for row in db.execute(query, (wanted,))]


class StoredPopulation:
    """A population store read by another process than the one writing it, once its lines are committed
    (``PatientSpill.ranges``): read-only, a range of patients at a time."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def between(self, first: str, last: str) -> list[StoredPatient]:
        return list(stored_between(self._db, first, last))

    def close(self) -> None:
        self._db.close()


class PatientSpill:
    """Write with ``add``; then ``patients()`` yields each Patient with the resources about them.

    With ``path`` the store is kept (and may hold an earlier run's population); without, it is a temporary
    file removed on ``close``. ``keep`` drops lines a run has no use for before they are written.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        path: Path | None = None,
        fresh: bool = True,
        keep: LineFilter | None = None,
    ) -> None:
        self._dir = None
        if path is None:
            self._dir = tempfile.TemporaryDirectory(prefix="vclinic-case-finding-", dir=directory)
            path = Path(self._dir.name) / "spill.sqlite3"
        elif fresh:
            path.unlink(missing_ok=True)
        self.path = path
        self._db = sqlite3.connect(path)
        # Larger pages and cache: the lines are about a kilobyte each, written once and read back once.
        self._db.execute("PRAGMA page_size = 16384")
        self._db.execute("PRAGMA cache_size = -32768")
        # A fresh store is kept only once it is whole; changes to a kept one are one transaction, all or none.
        self._db.execute("PRAGMA journal_mode = OFF" if fresh else "PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = OFF" if fresh else "PRAGMA synchronous = NORMAL")
        for statement in _SCHEMA:
            self._db.execute(statement)
        self._keep = keep
        self._patients: list[tuple[str, bytes]] = []
        self._resources: list[tuple[str, str | None, str, bytes]] = []
        self._medications: list[tuple[str, bytes]] = []
        # Changes applied on top of a kept population replace what they change: see ``changes``.
        self._replacing = False
        self.touched: set[str] = set()
        self.deleted_patients: list[bytes] = []
        self.unplaced = 0

    def changes(self) -> None:
        """What is added from now on changes the stored population (an incremental export) rather than
        filling an empty one: each resource replaces its stored version, and every patient it is about is
        ``touched``."""
        self._index()
        self._replacing = True

    def _index(self) -> None:
        for statement in _INDEXES:
            self._db.execute(statement)

    def add(self, line: BulkLine) -> None:
        if line.deleted:
            self._flush()
            bundle = _load(line)
            for kind, gone in deleted_references(bundle or {}):
                self._delete(kind, gone)
            return
        if self._keep is not None and not self._keep(line):
            return
        if line.resource_type == "Patient":
            self._add_by_id(line, self._patients)
            return
        if line.resource_type == "Medication":
            self._add_by_id(line, self._medications)
            return
        body = line.line
        reference = None if b'"contained"' in body else subject_reference(body)
        patient_id = _patient_id(reference.decode()) if reference else None
        resource_id = own_id(body, line.resource_type)
        if patient_id is None or resource_id is None:
            resource = _load(line)
            if resource is None:
                self.unplaced += 1
                return
            patient_id = patient_reference(resource)
            held: object = resource.get("id")
            resource_id = held if type(held) is str else None
        if patient_id is None:
            self.unplaced += 1
            return
        self._resources.append((line.resource_type, resource_id, patient_id, line.line))
        if len(self._resources) >= _BATCH:
            self._flush()

    def _add_by_id(self, line: BulkLine, rows: list[tuple[str, bytes]]) -> None:
        """A Patient's or a Medication's line, kept by its own id (parsed to read it: such lines are few)."""
        resource = _load(line)
        resource_id = resource.get("id") if resource is not None else None
        if type(resource_id) is not str:
            self.unplaced += 1
            return
        rows.append((resource_id, line.line))
        if len(rows) >= _BATCH:
            self._flush()

    def _delete(self, kind: str, resource_id: str) -> None:
        if kind == "Medication":
            self._db.execute("DELETE FROM medications WHERE id = ?", (resource_id,))
            return
        if kind == "Patient":
            row = self._db.execute("SELECT body FROM patients WHERE id = ?", (resource_id,)).fetchone()
            if row is not None:
                self.deleted_patients.append(row[0])
            self._db.execute("DELETE FROM patients WHERE id = ?", (resource_id,))
            self._db.execute("DELETE FROM resources WHERE patient = ?", (resource_id,))
            self.touched.discard(resource_id)
            return
        about = "SELECT patient FROM resources WHERE kind = ? AND id = ?"
        self.touched.update(row[0] for row in self._db.execute(about, (kind, resource_id)))
        self._db.execute("DELETE FROM resources WHERE kind = ? AND id = ?", (kind, resource_id))

    def _flush(self) -> None:
        if self._replacing:
            # The last version of a resource sent twice is the one kept.
            latest = {(row[0], row[1]): row for row in self._resources if row[1] is not None}
            self._resources[:] = [row for row in self._resources if row[1] is None] + list(latest.values())
            for kind, resource_id, patient_id, _ in self._resources:
                self.touched.add(patient_id)
                if resource_id is not None:
                    self._delete(kind, resource_id)
            self.touched.update(patient_id for patient_id, _ in self._patients)
            self._db.executemany("INSERT OR REPLACE INTO patients VALUES (?, ?)", self._patients)
        else:
            # A Patient exported twice (two rounds of a filtered export) is one patient.
            self._db.executemany("INSERT OR IGNORE INTO patients VALUES (?, ?)", self._patients)
        self._db.executemany("INSERT INTO resources VALUES (?, ?, ?, ?)", self._resources)
        # A Medication sent twice (or again by a later export) is kept as last sent.
        self._db.executemany("INSERT OR REPLACE INTO medications VALUES (?, ?)", self._medications)
        self._patients.clear()
        self._resources.clear()
        self._medications.clear()

    def patient_count(self) -> int:
        self._flush()
        count: int = self._db.execute("SELECT count(*) FROM patients").fetchone()[0]
        return count

    def stored_patients(self, only: set[str] | None = None) -> Iterator[StoredPatient]:
        """Each patient (of ``only``, when given) as stored, unparsed: their Patient's line, and the lines
        about them followed by those of the Medications their requests name."""
        self._flush()
        self._index()
        if only is None:
            yield from stored_between(self._db)
            return
        for patient_id in sorted(only):
            row = self._db.execute("SELECT body FROM patients WHERE id = ?", (patient_id,)).fetchone()
            if row is None:
                continue
            query = "SELECT body FROM resources WHERE patient = ?"
            about = [line[0] for line in self._db.execute(query, (patient_id,))]
            yield row[0], with_medications(self._db, about)

    def ranges(self, size: int) -> list[PatientRange]:
        """The stored patients in ranges of ``size`` (first and last id), each to be read by
        ``StoredPopulation.between``, perhaps in another process: what is added is committed first."""
        self._flush()
        self._index()
        self._db.commit()
        ids = [row[0] for row in self._db.execute("SELECT id FROM patients ORDER BY id")]
        return [(ids[start], ids[min(start + size, len(ids)) - 1]) for start in range(0, len(ids), size)]

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set(self, key: str, value: str) -> None:
        self._flush()
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        self._db.commit()

    def close(self) -> None:
        """Closes the store; what ``set`` did not commit is rolled back."""
        self._db.rollback()
        self._db.close()
        if self._dir is not None:
            self._dir.cleanup()

    def __enter__(self) -> PatientSpill:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


_KEPT_AT = "transaction_time"
_KEPT_FOR = "kept_for"


class Population:
    """A run's population store: a temporary one, or (with ``kept``) the practice's kept population, read
    on from (``start(incremental=True)``) or rebuilt beside it and put in its place once the run is done."""

    def __init__(self, kept: Path | None, keep: LineFilter | None, kept_for: str) -> None:
        self._kept = kept
        self._kept_for = kept_for
        self._keep = keep
        self._spill: PatientSpill | None = None
        self._incremental = False
        self.kept_transaction_time: datetime | None = None
        if kept is not None and kept.exists():
            try:
                with closing(sqlite3.connect(kept)) as db:
                    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                # Kept for other needs (the specialty now reads other codes): no population to read on from.
                at = meta.get(_KEPT_AT) if meta.get(_KEPT_FOR) == kept_for else None
                self.kept_transaction_time = datetime.fromisoformat(at) if at else None
            except (sqlite3.Error, ValueError):
                self.kept_transaction_time = None

    def start(self, *, incremental: bool) -> PatientSpill:
        self._incremental = incremental
        if self._kept is None:
            self._spill = PatientSpill(keep=self._keep)
        elif incremental:
            self._spill = PatientSpill(path=self._kept, fresh=False, keep=self._keep)
            self._spill.changes()
        else:
            self._kept.parent.mkdir(parents=True, exist_ok=True)
            self._spill = PatientSpill(path=self._building, keep=self._keep)
        return self._spill

    @property
    def _building(self) -> Path:
        assert self._kept is not None
        return self._kept.with_name(self._kept.name + ".new")

    def keep(self, transaction_time: datetime | None) -> None:
        """The run is done: its population is kept for the next run to read on from."""
        spill = self._spill
        if spill is None or self._kept is None or transaction_time is None:
            return
        spill.set(_KEPT_FOR, self._kept_for)
        spill.set(_KEPT_AT, transaction_time.isoformat())
        if not self._incremental:
            spill.close()
            self._spill = None
            os.replace(self._building, self._kept)

    def __enter__(self) -> Population:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._spill is not None:
            self._spill.close()
            if self._kept is not None and not self._incremental:
                self._building.unlink(missing_ok=True)


def open_population(kept: Path | None, *, keep: LineFilter | None = None, kept_for: str = "") -> Population:
    """The run's population store; ``kept_for`` names what a kept one holds (the lines ``keep`` lets in), so
    a population kept under other needs is not read on from."""
    return Population(kept, keep, kept_for)
