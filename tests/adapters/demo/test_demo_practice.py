"""The demo practice: enough valid patients, generated the same way every time, each story in the data."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from adapters.demo import (
    DEMO_PATIENTS,
    DEMO_PRACTICE_ODS,
    DemoSource,
    demo_patients_of,
    demo_practice_resources,
    demo_registrations,
    write_demo_practice,
)
from adapters.errors import PatientNotFound
from schemas.clinical import (
    LOINC,
    SNOMED,
    Coding,
    ObservationQuery,
    RecordQuery,
    SourceObservation,
    SourceRecord,
)
from schemas.nhs_number import is_valid_nhs_number

TODAY = date(2026, 11, 22)
EGFR = (Coding(SNOMED, "1011481000000105"), Coding(LOINC, "62238-1"))
CREATININE = (Coding(SNOMED, "1000731000000107"), Coding(LOINC, "2160-0"))
ACR = (Coding(SNOMED, "1023491000000104"), Coding(LOINC, "14959-1"))
BLOOD_PRESSURE = (Coding(SNOMED, "72313002"), Coding(LOINC, "85354-9"))
EVERYTHING = RecordQuery(
    observations=(
        ObservationQuery("egfr", EGFR),
        ObservationQuery("creatinine", CREATININE),
        ObservationQuery("acr", ACR),
        ObservationQuery("blood-pressure", BLOOD_PRESSURE),
    )
)
ANTIHYPERTENSIVE_CLASSES = {
    "acei": ("pril",),
    "arb": ("sartan",),
    "ccb": ("amlodipine",),
    "thiazide": ("indapamide", "thiazide"),
    "alpha-blocker": ("doxazosin",),
    "beta-blocker": ("bisoprolol", "metoprolol"),
    "mra": ("spironolactone", "eplerenone"),
    "loop": ("furosemide",),
}
NSAIDS = ("ibuprofen", "naproxen")


@pytest.fixture(scope="module")
def records() -> dict[str, SourceRecord]:
    demo = DemoSource(today=TODAY)

    async def fetch_all() -> dict[str, SourceRecord]:
        return {p.nhs_number: await demo.fetch_record(p.nhs_number, EVERYTHING) for p in DEMO_PATIENTS}

    return asyncio.run(fetch_all())


def results(record: SourceRecord, codes: tuple[Coding, ...]) -> list[SourceObservation]:
    wanted = {(c.system, c.code) for c in codes}
    found = [
        o
        for o in record.observations
        if o.status != "entered-in-error" and any((c.system, c.code) in wanted for c in o.codings)
    ]
    return sorted(found, key=lambda o: o.effective or datetime.min.replace(tzinfo=UTC))


def values(record: SourceRecord, codes: tuple[Coding, ...], us_factor: float = 1.0) -> list[float]:
    return [
        o.value * (us_factor if o.codings[0].system == LOINC else 1.0)
        for o in results(record, codes)
        if o.value
    ]


def egfr_slope_last_year(record: SourceRecord) -> float:
    series = results(record, EGFR)
    latest = series[-1].effective
    assert latest is not None
    window = [o for o in series if o.effective and latest - o.effective <= timedelta(days=366)]
    years = [(o.effective - latest).days / 365.25 for o in window if o.effective]
    return statistics.linear_regression(years, [o.value or 0.0 for o in window]).slope


def aki_ratio(record: SourceRecord) -> float:
    """The highest creatinine over the median of the results in the year before it."""
    series = results(record, CREATININE)
    best = 0.0
    for index, result in enumerate(series):
        assert result.effective is not None
        before = [
            o.value or 0.0
            for o in series[:index]
            if o.effective and timedelta(days=7) < result.effective - o.effective <= timedelta(days=365)
        ]
        if before:
            best = max(best, (result.value or 0.0) / statistics.median(before))
    return best


def active_classes(record: SourceRecord) -> set[str]:
    names = [m.name.lower() for m in record.medications if m.status == "active"]
    return {
        kind for kind, stems in ANTIHYPERTENSIVE_CLASSES.items() for n in names if any(s in n for s in stems)
    }


def has_condition(record: SourceRecord, code: str, within_days: int | None = None) -> bool:
    return any(
        c.codings[0].code == code
        and (within_days is None or (c.onset and (TODAY - c.onset).days <= within_days))
        for c in record.conditions
    )


def medication_status(record: SourceRecord, stem: str) -> set[str]:
    return {m.status for m in record.medications if stem in m.name.lower()}


# Each story, found by words of its summary, and what its record must show.
STORY_CHECKS: dict[str, Callable[[SourceRecord], bool]] = {
    "Normal kidney function": lambda r: results(r, EGFR)[-1].comparator == ">",
    "Stable CKD G3a A1": lambda r: 45 <= values(r, EGFR)[-1] < 60 and egfr_slope_last_year(r) > -5,
    "Progressing to G4": lambda r: (
        values(r, EGFR)[0] >= 30 > values(r, EGFR)[-1] and medication_status(r, "metformin") == {"active"}
    ),
    "G5 approaching kidney failure": lambda r: values(r, EGFR)[-1] < 15,
    "Heavy proteinuria (ACR 85)": lambda r: values(r, ACR)[-1] >= 70,
    "US-coded: heavy proteinuria": lambda r: (
        results(r, ACR)[-1].unit == "mg/g" and values(r, ACR, 1 / 8.84)[-1] >= 70
    ),
    "AKI stage 2 eight months ago": lambda r: 2 <= aki_ratio(r) < 3,
    "AKI stage 3": lambda r: aki_ratio(r) >= 3,
    "US-coded: AKI": lambda r: aki_ratio(r) >= 2 and results(r, CREATININE)[-1].unit == "mg/dL",
    "Rapid decline": lambda r: egfr_slope_last_year(r) <= -15,
    "US-coded: rapid decline": lambda r: egfr_slope_last_year(r) <= -15,
    "eGFR fell over 25%": lambda r: values(r, EGFR)[-1] <= 0.75 * max(values(r, EGFR)[-5:]),
    "Resistant hypertension": lambda r: len(active_classes(r)) >= 4 and values(r, BLOOD_PRESSURE)[-1] >= 140,
    "US-coded: four antihypertensive": lambda r: len(active_classes(r)) >= 4,
    "Four antihypertensive classes": lambda r: len(active_classes(r)) >= 4,
    "Polycystic kidney disease": lambda r: has_condition(r, "28770003"),
    "haematuria recorded this year": lambda r: has_condition(r, "34436003", 365) and values(r, ACR)[-1] > 30,
    "type 2 diabetes": lambda r: has_condition(r, "44054006"),
    "Type 1 diabetes": lambda r: has_condition(r, "46635009"),
    "Ramipril stopped for hyperkalaemia": lambda r: medication_status(r, "ramipril") == {"stopped"},
    "over-the-counter ibuprofen": lambda r: medication_status(r, "ibuprofen") == {"active"},
    "naproxen stopped": lambda r: medication_status(r, "naproxen") == {"stopped"},
    "Metformin still prescribed at eGFR 27": lambda r: (
        values(r, EGFR)[-1] < 30 and medication_status(r, "metformin") == {"active"}
    ),
    "losartan and dapagliflozin": lambda r: (
        medication_status(r, "losartan") == medication_status(r, "dapagliflozin") == {"active"}
    ),
    "confidential result": lambda r: (
        sum(o.confidential for o in r.observations) == 1 and sum(c.confidential for c in r.conditions) == 1
    ),
    "entered in error": lambda r: (
        [o.value for o in r.observations if o.status == "entered-in-error"] == [6.0]
    ),
    "A single eGFR": lambda r: len(results(r, EGFR)) == 1,
    "US-coded record": lambda r: (
        results(r, EGFR)[0].codings[0].system == LOINC and results(r, CREATININE)[0].unit == "mg/dL"
    ),
}


def story_patient(words: str) -> str:
    matches = [p.nhs_number for p in DEMO_PATIENTS if words in p.story]
    assert len(matches) == 1, f"{len(matches)} stories mention {words!r}"
    return matches[0]


@pytest.mark.parametrize("words", STORY_CHECKS)
def test_each_story_shows_in_its_record(records: dict[str, SourceRecord], words: str) -> None:
    assert STORY_CHECKS[words](records[story_patient(words)])


def test_there_are_at_least_forty_patients_with_valid_test_range_nhs_numbers() -> None:
    numbers = [p.nhs_number for p in DEMO_PATIENTS]

    assert len(numbers) >= 40
    assert len(set(numbers)) == len(numbers)
    assert all(is_valid_nhs_number(n) and n.startswith("999") for n in numbers)


def test_each_patient_has_a_name_and_a_one_line_story() -> None:
    assert all(p.name and p.story and "\n" not in p.story for p in DEMO_PATIENTS)
    assert len({p.story for p in DEMO_PATIENTS}) == len(DEMO_PATIENTS)


def test_every_listed_patient_has_results_spread_over_years(records: dict[str, SourceRecord]) -> None:
    spans = []
    for patient in demo_patients_of("nephrology"):
        egfrs = results(records[patient.nhs_number], EGFR)
        assert egfrs, patient.story
        if "single eGFR" in patient.story:
            continue
        first, last = egfrs[0].effective, egfrs[-1].effective
        assert first is not None
        assert last is not None
        years = (last - first).days / 365.25
        assert years >= 1.5, patient.story
        assert len(egfrs) / years <= 6, patient.story
        spans.append(years)

    assert statistics.median(spans) >= 3


def test_both_coding_styles_are_present(records: dict[str, SourceRecord]) -> None:
    units = {o.unit for r in records.values() for o in results(r, CREATININE + ACR)}

    assert {"umol/L", "mg/mmol", "mg/dL", "mg/g"} <= units


def test_the_practice_is_generated_the_same_way_every_time() -> None:
    assert orjson.dumps(demo_practice_resources(TODAY)) == orjson.dumps(demo_practice_resources(TODAY))


def test_the_records_are_dated_back_from_the_reference_date() -> None:
    later = TODAY + timedelta(days=100)

    def latest(resources: list[dict[str, object]]) -> str:
        return max(str(r["effectiveDateTime"]) for r in resources if r["resourceType"] == "Observation")

    assert latest(demo_practice_resources(TODAY)) < TODAY.isoformat()
    assert latest(demo_practice_resources(later)) > TODAY.isoformat()


async def test_the_demo_source_is_the_demo_practice() -> None:
    demo = DemoSource(today=TODAY)

    assert (demo.practice_ods, demo.adapter) == ("A12345", "demo")
    assert DEMO_PRACTICE_ODS == "A12345"
    assert (await demo.find_patient(DEMO_PATIENTS[0].nhs_number)).name == DEMO_PATIENTS[0].name


async def test_an_unknown_patient_is_not_found() -> None:
    with pytest.raises(PatientNotFound):
        await DemoSource(today=TODAY).find_patient("9434765919")


async def test_the_demo_source_answers_only_what_is_asked() -> None:
    demo = DemoSource(practice_ods="B99999", today=TODAY)
    nhs = story_patient("Resistant hypertension")
    since = date(2025, 1, 1)
    query = RecordQuery(
        observations=(ObservationQuery("acr", ACR, since=since),),
        medications_since=since,
        include_conditions=False,
    )

    record = await demo.fetch_record(nhs, query)

    assert record.practice_ods == "B99999"
    assert record.observations
    assert all(o.codings[0].code == ACR[0].code for o in record.observations)
    assert all(o.effective and o.effective.date() >= since for o in record.observations)
    assert record.medications
    assert all(m.authored_on and m.authored_on >= since for m in record.medications)
    assert record.conditions == []


def test_the_practice_is_written_as_files_the_mock_gp_serves(tmp_path: Path) -> None:
    write_demo_practice(tmp_path / "practice", TODAY)

    files = sorted((tmp_path / "practice").glob("*.json"))
    bundles = [orjson.loads(f.read_bytes()) for f in files]

    assert len(files) == len(DEMO_PATIENTS) + 1
    assert all(b["resourceType"] == "Bundle" and b["type"] == "collection" for b in bundles)
    assert sum(len(b["entry"]) for b in bundles) == len(demo_practice_resources(TODAY))


def test_every_demo_patient_is_registered_with_the_practice() -> None:
    registrations = demo_registrations("A12345", TODAY)

    assert registrations == {p.nhs_number: "A12345" for p in DEMO_PATIENTS}
