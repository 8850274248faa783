"""The nephrology summary: the DESIGN.md contract, assembled from small records."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.specialties.nephrology.egfr import egfr_ckd_epi_2009, egfr_ckd_epi_2021
from app.specialties.nephrology.summary import build_nephrology_summary
from schemas.api.nephrology import EgfrEquation, NephrologySummary
from schemas.clinical import ClinicalRecord, Sex, SourceStatus
from tests.specialties.nephrology.factories import (
    acr,
    blood_pressure,
    condition,
    creatinine,
    egfr,
    medication,
    patient,
    record,
    result,
)

TODAY = date(2024, 9, 1)
GENERATED_AT = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)


def _summary(source: ClinicalRecord, equation: EgfrEquation = EgfrEquation.CKD_EPI_2009) -> NephrologySummary:
    return build_nephrology_summary(source, today=TODAY, equation=equation, generated_at=GENERATED_AT)


def _typical() -> ClinicalRecord:
    return record(
        egfr("2023-01-01", 48),
        egfr("2023-07-02", 45),
        egfr("2024-01-01", 43),
        egfr("2024-07-01", 41.6),
        creatinine("2024-07-01", 152),
        acr("2024-07-01", 4.2),
        result("potassium", "2024-07-01", 5.1),
        blood_pressures=[blood_pressure("2024-07-01", 142, 88)],
        medications=[medication("Ramipril 5mg capsules")],
        conditions=[condition("44054006", "Type 2 diabetes mellitus")],
    )


CONTRACT = {
    "specialty",
    "generated_at",
    "complete",
    "sources",
    "patient",
    "egfr",
    "creatinine",
    "acr",
    "ckd",
    "kfre",
    "referral_criteria",
    "aki_episodes",
    "blood_pressure",
    "medications",
    "conditions",
    "latest",
    "warnings",
}


def test_the_summary_has_every_field_of_the_contract() -> None:
    body = _summary(_typical()).model_dump(mode="json")
    # The shared envelope adds ``series``, and more analytes to ``latest``; DESIGN.md's fields all stay.
    assert set(body) == CONTRACT | {"series"}
    assert body["specialty"] == "nephrology"
    assert body["generated_at"] == "2024-09-01T09:00:00Z"
    assert body["sources"] == [
        {"practice_ods": "A12345", "adapter": "fhir-r4", "status": "ok", "detail": None}
    ]
    assert set(body["patient"]) == {"nhs_number", "name", "birth_date", "age", "sex"}
    assert {"series", "latest", "slope_per_year", "accelerated_progression"} <= set(body["egfr"])
    assert set(body["egfr"]["series"][0]) >= {"date", "value", "unit", "origin"}
    assert set(body["acr"]) == {"series", "latest"}
    assert set(body["ckd"]) == {"g_category", "a_category", "kdigo_risk"}
    assert {"two_year_percent", "five_year_percent", "calibration"} <= set(body["kfre"])
    assert set(body["blood_pressure"]) == {"latest", "target", "above_target"}
    assert set(body["latest"]) >= {"potassium", "haemoglobin", "hba1c"}
    assert set(body["series"]) >= {"egfr", "creatinine", "acr"}
    medication = body["medications"][0]
    assert {key: medication[key] for key in ("name", "classes", "status")} == {
        "name": "Ramipril 5mg capsules",
        "classes": ["acei"],
        "status": "active",
    }
    condition_entry = body["conditions"][0]
    assert {key: condition_entry[key] for key in ("code", "system", "display")} == {
        "code": "44054006",
        "system": "http://snomed.info/sct",
        "display": "Type 2 diabetes mellitus",
    }


def test_a_typical_record_reads_as_the_consultant_expects() -> None:
    summary = _summary(_typical())
    assert summary.patient.age == 64
    assert summary.egfr.latest is not None
    assert (summary.egfr.latest.date, summary.egfr.latest.value) == (date(2024, 7, 1), 41.6)
    assert summary.ckd.model_dump(mode="json") == {
        "g_category": "G3b",
        "a_category": "A2",
        "kdigo_risk": "very-high",
    }
    assert summary.kfre.five_year_percent is not None
    assert summary.blood_pressure.model_dump(mode="json") == {
        "latest": {"date": "2024-07-01", "systolic": 142.0, "diastolic": 88.0},
        "target": "140/90",
        "above_target": True,
    }
    potassium = summary.latest["potassium"]
    assert potassium is not None
    assert potassium.value == 5.1
    assert [c.code for c in summary.referral_criteria] == [
        "kfre-5y-over-5pct",
        "acr-70-or-more",
        "acr-over-30-with-haematuria",
        "egfr-decline-25pct",
        "egfr-decline-15-per-year",
        "uncontrolled-hypertension-4-drugs",
        "rare-or-genetic-cause",
        "renal-artery-stenosis",
    ]


def test_a_calculated_egfr_keeps_full_precision_and_names_its_equation() -> None:
    source = record(creatinine("2024-07-01", 100), who=patient(born="1960-06-15", sex=Sex.FEMALE))
    for equation, formula in (
        (EgfrEquation.CKD_EPI_2009, egfr_ckd_epi_2009),
        (EgfrEquation.CKD_EPI_2021, egfr_ckd_epi_2021),
    ):
        summary = _summary(source, equation)
        [point] = summary.egfr.series
        assert (point.origin, point.equation) == ("calculated", equation)
        assert point.value == formula(creatinine_umol_l=100, age_years=64, female=True)
        assert summary.egfr.equation is equation


def test_a_reported_comparator_is_kept_in_the_series() -> None:
    summary = _summary(record(egfr("2024-07-01", 90, ">")))
    assert summary.egfr.series[0].comparator == ">"
    assert summary.ckd.g_category == "G1"


def test_without_an_acr_the_a_category_and_risk_are_empty_and_the_summary_says_so() -> None:
    summary = _summary(record(egfr("2024-01-01", 50), egfr("2024-07-01", 48)))
    assert (summary.ckd.g_category, summary.ckd.a_category, summary.ckd.kdigo_risk) == ("G3a", None, None)
    assert summary.acr.latest is None
    assert "no urine ACR recorded: the A category, the KDIGO risk and the KFRE need one" in summary.warnings


def test_no_kfre_above_60_gives_its_reason() -> None:
    summary = _summary(record(egfr("2024-07-01", 75), acr("2024-07-01", 2)))
    assert summary.kfre.five_year_percent is None
    assert summary.kfre.reason is not None
    assert summary.kfre.calibration == "non-north-american"


def test_an_incomplete_source_makes_the_summary_incomplete() -> None:
    failed = SourceStatus("A12345", "fhir-r4", "partial", "failed: conditions (timeout)")
    summary = _summary(record(egfr("2024-07-01", 75), sources=[failed]))
    assert summary.complete is False
    assert summary.sources[0].detail == "failed: conditions (timeout)"


def test_the_record_warnings_come_first_and_withheld_items_are_counted_once() -> None:
    source = record(
        egfr("2024-07-01", 75),
        acr("2024-07-01", 2),
        warnings=["2 confidential items withheld by the practice", "egfr: 1 result without a date ignored"],
        withheld=2,
        dropped=3,
    )
    warnings = _summary(source).warnings
    assert warnings[:3] == [
        "2 confidential items withheld by the practice",
        "egfr: 1 result without a date ignored",
        "3 implausible results dropped from this summary",
    ]


def test_no_egfr_in_15_months_is_stale() -> None:
    summary = _summary(record(egfr("2023-05-31", 75), acr("2023-05-31", 2)))
    assert "no eGFR in the last 15 months (latest 2023-05-31)" in summary.warnings


def test_an_egfr_15_months_old_is_not_stale() -> None:
    summary = _summary(record(egfr("2023-06-01", 75), acr("2023-06-01", 2)))
    assert not any("15 months" in warning for warning in summary.warnings)


def test_a_single_egfr_below_60_warns_that_ckd_needs_3_months() -> None:
    summary = _summary(record(egfr("2024-01-01", 75), egfr("2024-07-01", 55)))
    assert "eGFR below 60 on one day only (2024-07-01): CKD needs a reduced eGFR for more than 3 months" in (
        summary.warnings
    )


def test_two_egfr_below_60_less_than_90_days_apart_warn() -> None:
    summary = _summary(record(egfr("2024-06-01", 55), egfr("2024-08-29", 54)))
    assert (
        "the latest two eGFR results below 60 (2024-06-01, 2024-08-29) are less than 90 days apart: "
        "CKD needs a reduced eGFR for more than 3 months"
    ) in summary.warnings


def test_a_reduced_egfr_for_90_days_or_more_does_not_warn() -> None:
    summary = _summary(record(egfr("2024-03-01", 55), egfr("2024-05-30", 50), egfr("2024-06-20", 75)))
    assert summary.egfr.latest is not None
    assert not any("3 months" in warning for warning in summary.warnings)
    established = _summary(record(egfr("2024-03-01", 55), egfr("2024-05-30", 50)))
    assert not any("3 months" in warning for warning in established.warnings)


def test_close_recent_results_warn_even_in_established_ckd() -> None:
    # CLINICAL.md's rule looks at the latest two results below 60 only, as the product has chosen.
    summary = _summary(record(egfr("2024-03-01", 55), egfr("2024-08-01", 50), egfr("2024-08-20", 52)))
    assert any("(2024-08-01, 2024-08-20) are less than 90 days apart" in w for w in summary.warnings)


def test_a_missing_birth_date_is_said_rather_than_guessed() -> None:
    summary = _summary(record(creatinine("2024-07-01", 100), who=patient(born=None)))
    assert summary.egfr.series == []
    assert summary.patient.age is None
    assert (
        "1 creatinine result without a reported eGFR: none calculated, birth date unknown" in summary.warnings
    )


def test_aki_episodes_appear_with_stage_peak_and_baseline() -> None:
    source = record(
        creatinine("2023-12-01", 100),
        creatinine("2024-06-01", 210),
        creatinine("2024-06-03", 260),
    )
    [episode] = _summary(source).aki_episodes
    assert episode.model_dump(mode="json") == {
        "date": "2024-06-01",
        "stage": 2,
        "creatinine": 260.0,
        "baseline": 100.0,
    }


def test_metformin_below_30_is_prompted() -> None:
    source = record(egfr("2024-07-01", 25), medications=[medication("Metformin 500mg tablets")])
    assert any("contraindicated below 30" in warning for warning in _summary(source).warnings)


def test_an_acr_of_70_sets_the_lower_blood_pressure_target() -> None:
    source = record(acr("2024-07-01", 80), blood_pressures=[blood_pressure("2024-07-01", 132, 78)])
    summary = _summary(source)
    assert (summary.blood_pressure.target, summary.blood_pressure.above_target) == ("130/80", True)


def test_accelerated_progression_follows_the_decline_criteria() -> None:
    source = record(egfr("2023-09-01", 60), egfr("2024-03-01", 45), egfr("2024-06-01", 44))
    assert _summary(source).egfr.accelerated_progression is True
