"""Whether the GP record shows a test-tied action done: a result of each analyte group after the advice.

Only a result dated after the advice counts: one on the day of the advice but earlier in it is most likely
the result the consultant read, and a date-only result reads as midnight, so it counts from the next day.
The earliest such result of each group is the evidence: it is the one that did what was asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from schemas.api.follow_up import ResultEvidence
from schemas.clinical import ClinicalRecord, Measurement


def analytes_of(satisfied_by: Iterable[frozenset[str]]) -> frozenset[str]:
    """Every analyte any group names: what the check reads from the record."""
    return frozenset(analyte for group in satisfied_by for analyte in group)


def _first_after(record: ClinicalRecord, group: frozenset[str], advised_at: datetime) -> Measurement | None:
    found = [
        measurement
        for analyte in sorted(group)
        for measurement in record.series(analyte)
        if measurement.taken_at > advised_at
    ]
    return min(found, key=lambda measurement: measurement.taken_at, default=None)


def results_showing_done(
    record: ClinicalRecord, satisfied_by: tuple[frozenset[str], ...], advised_at: datetime
) -> list[ResultEvidence] | None:
    """The evidence, one result per group, when every group has a result after ``advised_at`` (aware, as
    every normalised result time is); else None."""
    if not satisfied_by:
        return None
    evidence = []
    for group in satisfied_by:
        first = _first_after(record, group, advised_at)
        if first is None:
            return None
        evidence.append(
            ResultEvidence(
                analyte=first.analyte,
                taken_at=first.taken_at,
                practice_ods=first.provenance.practice_ods,
                resource_id=first.provenance.resource_id,
            )
        )
    return evidence
