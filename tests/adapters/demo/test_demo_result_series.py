"""A demo story of any specialty: result series of any analyte, in UK or US coding, without a kidney path."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from adapters.demo.generator import patient_resources
from adapters.demo.practice import DEMO_PATIENTS, demo_patients_of
from adapters.demo.stories import ResultSeries, Story, uk_test, us_test

TODAY = date(2026, 11, 22)
HBA1C = ResultSeries(
    uk=uk_test("999791000000106", "Haemoglobin A1c level - IFCC standardised", "mmol/mol"),
    us=us_test("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"),
    path=((3, 50.0), (0, 72.0)),
    interval_days=91,
    decimals=0,
    us_scale=1 / 10.929,
    us_offset=2.15,
    spread=0.0,
)
NTPROBNP = ResultSeries(
    uk=uk_test("414799001", "N-terminal pro-brain natriuretic peptide level", "ng/L"),
    us=us_test("33762-6", "Natriuretic peptide.B prohormone N-Terminal", "pg/mL"),
    path=((0.5, 1800.0), (0, 2400.0)),
    without_unit=True,
)


def _story(*series: ResultSeries, us: bool = False) -> Story:
    return Story(
        "A diabetes story.", "Ada", "Test", "female", 60, results=series, us=us, specialties=("diabetes",)
    )


def _observations(story: Story) -> list[dict[str, Any]]:
    [(_, resources)] = patient_resources((story,), TODAY)
    return [r for r in resources if r["resourceType"] == "Observation" and "valueQuantity" in r]


def _of(observations: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [o for o in observations if o["code"]["coding"][0]["code"] == code]


def test_a_story_without_an_egfr_path_carries_only_its_own_series_and_blood_pressure() -> None:
    observations = _observations(_story(HBA1C))

    hba1c = _of(observations, "999791000000106")
    assert len(hba1c) >= 10
    assert not _of(observations, "1011481000000105")
    assert _of(observations, "72313002"), "blood pressure is taken with the first series"
    values = [o["valueQuantity"]["value"] for o in sorted(hba1c, key=lambda o: o["effectiveDateTime"])]
    assert values[0] < values[-1] <= 72.0
    assert {o["valueQuantity"]["unit"] for o in hba1c} == {"mmol/mol"}


def test_a_us_coded_twin_writes_the_same_path_in_its_own_code_and_unit() -> None:
    observations = _observations(_story(HBA1C, us=True))

    hba1c = _of(observations, "4548-4")
    assert {o["valueQuantity"]["unit"] for o in hba1c} == {"%"}
    latest = max(hba1c, key=lambda o: o["effectiveDateTime"])["valueQuantity"]["value"]
    assert latest == pytest.approx(72.0 / 10.929 + 2.15, abs=0.2)


def test_a_series_may_be_sent_without_a_unit() -> None:
    observations = _observations(_story(NTPROBNP))

    assert all(set(o["valueQuantity"]) == {"value"} for o in _of(observations, "414799001"))


def test_the_renal_stories_belong_to_the_renal_clinic() -> None:
    assert demo_patients_of("nephrology") == tuple(p for p in DEMO_PATIENTS if "nephrology" in p.specialties)
    assert len(demo_patients_of("nephrology")) >= 40
    assert demo_patients_of("no-such-specialty") == ()
