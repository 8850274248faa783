"""What the advice letter needs from the GP record: who the patient is, and the specialty's chart.

GP Connect Send Document expects the patient's name and birth date beside the NHS number, and the letter
shows the series the consultant advised on. Both come from the patient's own practice, read when the advice
is given. A practice that cannot answer does not hold the advice up: the letter goes without them and says
so, since the practice's own record holds the demographics anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from app.core.errors import ProblemError
from app.records.ports import UpstreamError
from app.records.service import fetch_clinical_record
from app.records.wiring import PracticeNetwork
from app.specialties.base import Specialty
from app.specialties.service import summarise
from app.specialties.settings import SpecialtySettings
from schemas.advice import AdvicePatient, ChartPoint
from schemas.api.summary import SpecialtySummary

log = logging.getLogger("vclinic.advice")


@dataclass(frozen=True, slots=True)
class LetterContext:
    patient: AdvicePatient
    chart: list[ChartPoint] = field(default_factory=list)


async def letter_context(
    network: PracticeNetwork,
    specialty: Specialty,
    nhs_number: str,
    *,
    now: datetime,
    specialty_settings: SpecialtySettings,
) -> LetterContext:
    try:
        record = await fetch_clinical_record(network, nhs_number, specialty.needs, today=now.date())
    except (UpstreamError, ProblemError) as exc:
        log.warning("letter sent without record details", extra={"error_type": type(exc).__name__})
        return LetterContext(AdvicePatient(nhs_number=nhs_number))
    summary = summarise(specialty, record, now=now, specialty_settings=specialty_settings)
    name = record.patient.name
    return LetterContext(
        AdvicePatient(
            nhs_number=nhs_number,
            name=name,
            family_name=name.rsplit(" ", 1)[-1] if name else None,
            birth_date=record.patient.birth_date,
        ),
        _chart(summary, specialty.letter_series(summary)),
    )


def _chart(summary: SpecialtySummary, analyte: str | None) -> list[ChartPoint]:
    """The named series of the summary as the letter charts it; none when the specialty names none."""
    if analyte is None:
        return []
    return [ChartPoint(date=point.date, value=point.value) for point in summary.series.get(analyte, [])]
