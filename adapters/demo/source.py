"""The demo practice as a ``GPRecordSource``, in memory: what ``make run`` reads instead of a GP system."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from adapters.demo.generator import DEMO_PRACTICE_ODS
from adapters.demo.practice import demo_practice_resources
from adapters.errors import PatientNotFound, UpstreamError
from adapters.fhir_r4 import parse
from adapters.fhir_r4.prefetched import answered_from
from adapters.one_by_one import fetch_one_by_one
from schemas.clinical import (
    NHS_NUMBER_SYSTEM,
    RecordQuery,
    SourceCondition,
    SourceMedication,
    SourceObservation,
    SourcePatient,
    SourceRecord,
)


@dataclass(frozen=True, slots=True)
class _Chart:
    """One patient's record, read once with the FHIR R4 parser."""

    patient: SourcePatient
    observations: list[SourceObservation]
    medications: list[SourceMedication]
    conditions: list[SourceCondition]


class DemoSource:
    """Answers each query the way the practice's FHIR server would: only the codes and dates asked for."""

    adapter = "demo"
    # In memory: a fetch of the whole list costs the practice nothing.
    patients_per_fetch = 100

    def __init__(self, practice_ods: str = DEMO_PRACTICE_ODS, today: date | None = None) -> None:
        self.practice_ods = practice_ods
        self._source = f"practice {practice_ods}"
        self._charts = _charts(demo_practice_resources(today or date.today()))

    async def aclose(self) -> None:
        """Nothing to release: the practice lives in memory."""

    async def find_patient(self, nhs_number: str) -> SourcePatient:
        chart = self._charts.get(nhs_number)
        if chart is None:
            raise PatientNotFound(self._source, "no patient with that NHS number")
        return chart.patient

    async def fetch_records(
        self, nhs_numbers: Sequence[str], query: RecordQuery
    ) -> dict[str, SourceRecord | UpstreamError]:
        return await fetch_one_by_one(self.fetch_record, nhs_numbers, query)

    async def fetch_record(self, nhs_number: str, query: RecordQuery) -> SourceRecord:
        patient = await self.find_patient(nhs_number)
        chart = self._charts[nhs_number]
        record = SourceRecord(self.practice_ods, self.adapter, patient)
        return answered_from(record, query, chart.observations, chart.medications, chart.conditions)


def _charts(resources: list[dict[str, Any]]) -> dict[str, _Chart]:
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    patients: list[SourcePatient] = []
    for resource in resources:
        if resource["resourceType"] == "Patient":
            patients.append(parse.patient(resource, NHS_NUMBER_SYSTEM))
        elif "subject" in resource:
            by_patient[resource["subject"]["reference"].removeprefix("Patient/")].append(resource)
    medications = [r for r in resources if r["resourceType"] == "Medication"]
    charts = {}
    for patient in patients:
        own = by_patient[patient.resource_id]
        charts[patient.nhs_number] = _Chart(
            patient,
            parse.observations(own).items,
            parse.medications(own + medications).items,
            parse.conditions(own).items,
        )
    return charts
