"""How far back a summary reads: the whole kidney history, however long ago the patient's results stopped.

The practice here answers as a FHIR server does, only the codes and dates asked for, so a window counted back
from today would hide the results it leaves out.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime

from adapters.errors import UpstreamError
from adapters.pds import StaticDirectory
from app.records.practices import PracticeConfig
from app.records.wiring import PracticeNetwork
from app.specialties.nephrology.plugin import NEPHROLOGY
from app.specialties.service import build_summary_for
from schemas.api.nephrology import CriterionCode, CriterionStatus, NephrologySummary
from schemas.clinical import (
    LOINC,
    Coding,
    RecordQuery,
    Sex,
    SourceObservation,
    SourcePatient,
    SourceRecord,
)
from tests.support.catalogue import CATALOGUE, DEFAULT_SETTINGS

ODS = "A12345"
NHS = "9434765919"
EGFR = Coding(LOINC, "33914-3")


class DatedSearchPractice:
    """A practice holding one patient's eGFR results, searched by code and ``date=ge`` like a FHIR server."""

    adapter = "fhir-r4"
    patients_per_fetch = 1

    def __init__(self, results: Sequence[tuple[str, float]]) -> None:
        self.practice_ods = ODS
        self.patient = SourcePatient("p1", NHS, "Ada Test", date(1950, 3, 1), Sex.FEMALE)
        self.results = [
            SourceObservation(
                f"o{index}",
                (EGFR,),
                "final",
                datetime.fromisoformat(day).replace(tzinfo=UTC),
                value,
                "mL/min/{1.73_m2}",
            )
            for index, (day, value) in enumerate(results)
        ]

    async def find_patient(self, nhs_number: str) -> SourcePatient:
        return self.patient

    async def fetch_record(self, nhs_number: str, query: RecordQuery) -> SourceRecord:
        record = SourceRecord(ODS, self.adapter, self.patient)
        for search in query.observations:
            record.observations.extend(
                o
                for o in self.results
                if EGFR in search.codes
                and (search.since is None or (o.effective is not None and o.effective.date() >= search.since))
            )
        return record

    async def fetch_records(
        self, nhs_numbers: Sequence[str], query: RecordQuery
    ) -> dict[str, SourceRecord | UpstreamError]:
        return {nhs: await self.fetch_record(nhs, query) for nhs in nhs_numbers}

    async def aclose(self) -> None:
        return None


async def summary_on(today: str, results: Sequence[tuple[str, float]]) -> NephrologySummary:
    network = PracticeNetwork(
        practices={ODS: PracticeConfig(name="Test", adapter="demo", delivery="feed")},
        sources={ODS: DatedSearchPractice(results)},
        directory=StaticDirectory({NHS: ODS}),
        catalogue=CATALOGUE,
    )
    summary = await build_summary_for(
        network=network,
        specialty=NEPHROLOGY,
        nhs_number=NHS,
        now=datetime.fromisoformat(today).replace(hour=9, tzinfo=UTC),
        specialty_settings=DEFAULT_SETTINGS,
    )
    assert isinstance(summary, NephrologySummary)
    return summary


def criterion(summary: NephrologySummary, code: CriterionCode) -> CriterionStatus:
    return next(c.status for c in summary.referral_criteria if c.code == code)


async def test_a_patient_whose_results_stop_in_2020_shows_them_and_is_warned_of_as_stale() -> None:
    summary = await summary_on(
        "2026-11-22", [("2019-02-01", 52.0), ("2019-09-01", 49.0), ("2020-06-15", 47.0)]
    )

    assert [point.date for point in summary.egfr.series] == [
        date(2019, 2, 1),
        date(2019, 9, 1),
        date(2020, 6, 15),
    ]
    assert summary.egfr.latest is not None
    assert summary.egfr.latest.value == 47.0
    assert "no eGFR in the last 15 months (latest 2020-06-15)" in summary.warnings
    assert not any("recorded" in warning and "eGFR" in warning for warning in summary.warnings)
    egfr, _, ckd, _ = NEPHROLOGY.highlights(summary)
    assert (egfr.value, ckd.value) == (47.0, "G3a")


async def test_the_trend_and_the_25_percent_fall_are_measured_back_from_a_latest_egfr_of_january_2023() -> (
    None
):
    results = [
        ("2020-03-01", 70.0),
        ("2021-03-01", 66.0),
        ("2022-02-01", 64.0),
        ("2022-08-01", 46.0),
        ("2023-01-15", 44.0),
    ]
    summary = await summary_on("2027-06-01", results)

    # Every result lies within the 3 years before the latest, so the slope fits all five.
    years = [(date.fromisoformat(day) - date(2020, 3, 1)).days / 365.25 for day, _ in results]
    expected = statistics.linear_regression(years, [value for _, value in results]).slope
    assert summary.egfr.slope_per_year is not None
    assert abs(summary.egfr.slope_per_year - expected) < 1e-9
    # 46 and 44 are at or below 75% of 64 (2022-02-01, within 12 months of the latest), and G2 became G3b.
    assert criterion(summary, CriterionCode.EGFR_DECLINE_25PCT) is CriterionStatus.MET
    assert summary.egfr.accelerated_progression is True


async def test_results_beyond_the_history_cap_are_not_read() -> None:
    summary = await summary_on("2026-11-22", [("2004-01-01", 80.0), ("2010-01-01", 60.0)])

    assert [point.date for point in summary.egfr.series] == [date(2010, 1, 1)]
