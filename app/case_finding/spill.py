"""A practice's export spilled to a temporary SQLite file grouped by patient, so memory stays bounded whatever
the practice's size: resources are written as they stream in and read back one patient at a time."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

_BATCH = 1000


def patient_reference(resource: dict[str, Any]) -> str | None:
    """The id in ``subject`` (or ``patient``) ``…Patient/<id>``; None without one."""
    holder = resource.get("subject") or resource.get("patient")
    reference = holder.get("reference") if type(holder) is dict else None
    if type(reference) is not str:
        return None
    _, marker, rest = reference.rpartition("Patient/")
    return rest.split("/", 1)[0] if marker else None


class PatientSpill:
    """Write with ``add``; then ``patients()`` yields each Patient with the resources about them."""

    def __init__(self, directory: Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="vclinic-case-finding-", dir=directory)
        self._db = sqlite3.connect(Path(self._dir.name) / "spill.sqlite3")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE patients (id TEXT PRIMARY KEY, body BLOB NOT NULL)")
        self._db.execute("CREATE TABLE resources (patient TEXT NOT NULL, body BLOB NOT NULL)")
        self._patients: list[tuple[str, bytes]] = []
        self._resources: list[tuple[str, bytes]] = []
        self.unplaced = 0

    def add(self, resource: dict[str, Any]) -> None:
        if resource.get("resourceType") == "Patient":
            patient_id = resource.get("id")
            if type(patient_id) is str:
                self._patients.append((patient_id, orjson.dumps(resource)))
            else:
                self.unplaced += 1
        else:
            patient_id = patient_reference(resource)
            if patient_id is None:
                self.unplaced += 1
            else:
                self._resources.append((patient_id, orjson.dumps(resource)))
        if len(self._patients) + len(self._resources) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        # A Patient exported twice (two rounds of a filtered export) is one patient.
        self._db.executemany("INSERT OR IGNORE INTO patients VALUES (?, ?)", self._patients)
        self._db.executemany("INSERT INTO resources VALUES (?, ?)", self._resources)
        self._patients.clear()
        self._resources.clear()

    def patient_count(self) -> int:
        self._flush()
        count: int = self._db.execute("SELECT count(*) FROM patients").fetchone()[0]
        return count

    def patients(self) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        self._flush()
        self._db.execute("CREATE INDEX IF NOT EXISTS ix_resources_patient ON resources (patient)")
        for patient_id, body in self._db.execute("SELECT id, body FROM patients ORDER BY id"):
            rows = self._db.execute("SELECT body FROM resources WHERE patient = ?", (patient_id,))
            yield orjson.loads(body), [orjson.loads(row[0]) for row in rows]

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()

    def __enter__(self) -> PatientSpill:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
