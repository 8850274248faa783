"""normalise_record: each rule of the canonical record, one behaviour per test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from schemas.clinical import (
    LOINC,
    SNOMED,
    Coding,
    Sex,
    SourceCondition,
    SourceFailure,
    SourceMedication,
    SourceObservation,
    SourcePatient,
    SourceQuantity,
    SourceRecord,
)
from tests.support.catalogue import normalised

WHEN = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
CREATININE = Coding(SNOMED, "1000731000000107", "Serum creatinine level")
EGFR = Coding(SNOMED, "1011481000000105", "eGFR using creatinine (CKD-EPI) per 1.73 square metres")
SYSTOLIC = Coding(LOINC, "8480-6")
DIASTOLIC = Coding(LOINC, "8462-4")
PATIENT = SourcePatient("pat-1", "9434765919", "Alan Turing", date(1953, 2, 19), Sex.MALE)


def observation(
    code: Coding = CREATININE,
    value: float | None = 152.0,
    unit: str | None = "umol/L",
    *,
    resource_id: str = "obs-1",
    status: str = "final",
    effective: datetime | None = WHEN,
    comparator: str | None = None,
    components: tuple[SourceQuantity, ...] = (),
    confidential: bool = False,
) -> SourceObservation:
    return SourceObservation(
        resource_id=resource_id,
        codings=(code,),
        status=status,
        effective=effective,
        value=value,
        unit=unit,
        comparator=comparator,
        components=components,
        confidential=confidential,
    )


def bp_panel(
    systolic: float, diastolic: float, *, header: Coding = Coding(LOINC, "55284-4"), resource_id: str = "bp-1"
) -> SourceObservation:
    return observation(
        header,
        None,
        None,
        resource_id=resource_id,
        components=(
            SourceQuantity((SYSTOLIC,), systolic, "mm[Hg]"),
            SourceQuantity((DIASTOLIC,), diastolic, "mm[Hg]"),
        ),
    )


def medication(
    name: str = "Ramipril 5mg capsules", status: str = "active", *, confidential: bool = False
) -> SourceMedication:
    return SourceMedication(
        resource_id="med-1",
        name=name,
        codings=(Coding(SNOMED, "318902004", name),),
        status=status,
        authored_on=date(2023, 5, 1),
        dosage="One daily",
        confidential=confidential,
    )


def condition(
    verification_status: str | None = "confirmed", *, confidential: bool = False
) -> SourceCondition:
    return SourceCondition(
        resource_id="cond-1",
        codings=(Coding(SNOMED, "44054006", "Type 2 diabetes mellitus"),),
        clinical_status="active",
        verification_status=verification_status,
        onset=date(2015, 6, 1),
        confidential=confidential,
    )


def source(
    observations: list[SourceObservation] | None = None,
    medications: list[SourceMedication] | None = None,
    conditions: list[SourceCondition] | None = None,
    **fields: object,
) -> SourceRecord:
    record = SourceRecord(
        practice_ods="A12345",
        adapter="gp-connect",
        patient=PATIENT,
        observations=observations or [],
        medications=medications or [],
        conditions=conditions or [],
    )
    for name, value in fields.items():
        setattr(record, name, value)
    return record


def test_creatinine_in_mg_per_dl_is_stored_in_umol_per_l() -> None:
    record = normalised(source([observation(Coding(LOINC, "38483-4"), 1.72, "mg/dL")]))

    [creatinine] = record.series("creatinine")
    assert creatinine.value == pytest.approx(152.048)
    assert creatinine.unit == "umol/L"


def test_every_measurement_keeps_where_it_came_from_with_the_original_code_and_unit() -> None:
    code = Coding(LOINC, "38483-4", "Creatinine [Mass/volume] in Serum or Plasma")
    record = normalised(source([observation(code, 1.72, "mg/dL", resource_id="obs-77")]))

    provenance = record.series("creatinine")[0].provenance
    assert (provenance.practice_ods, provenance.adapter, provenance.resource_id) == (
        "A12345",
        "gp-connect",
        "obs-77",
    )
    assert provenance.code == code
    assert provenance.unit == "mg/dL"


def test_hba1c_in_percent_is_stored_in_mmol_per_mol() -> None:
    record = normalised(source([observation(Coding(LOINC, "4548-4"), 7.0, "%")]))

    assert record.series("hba1c")[0].value == pytest.approx(53.00565)
    assert record.series("hba1c")[0].unit == "mmol/mol"


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_results_recorded_in_error_or_cancelled_are_skipped(status: str) -> None:
    record = normalised(source([observation(status=status)]))

    assert record.series("creatinine") == []
    assert record.dropped_implausible == 0


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_medications_recorded_in_error_or_cancelled_are_skipped(status: str) -> None:
    record = normalised(source(medications=[medication(status=status), medication("Atorvastatin 20mg")]))

    assert [item.name for item in record.medications] == ["Atorvastatin 20mg"]


def test_conditions_whose_verification_is_entered_in_error_are_skipped() -> None:
    record = normalised(source(conditions=[condition("entered-in-error"), condition("confirmed")]))

    assert len(record.conditions) == 1


def test_confidential_items_are_withheld_and_counted_with_those_withheld_upstream() -> None:
    record = normalised(
        source(
            [observation(confidential=True), observation(resource_id="obs-2")],
            [medication(confidential=True)],
            [condition(confidential=True)],
            withheld_upstream=2,
        )
    )

    assert [item.provenance.resource_id for item in record.series("creatinine")] == ["obs-2"]
    assert record.medications == []
    assert record.conditions == []
    assert record.withheld_confidential == 5
    assert "5 confidential items withheld by the practice" in record.warnings


def test_a_comparator_is_kept_with_its_value() -> None:
    record = normalised(source([observation(EGFR, 90.0, "mL/min/{1.73_m2}", comparator=">")]))

    [egfr] = record.series("egfr")
    assert (egfr.comparator, egfr.value, egfr.unit) == (">", 90.0, "mL/min/1.73m2")


def test_a_creatinine_of_1_2_labelled_umol_per_l_is_dropped_not_converted() -> None:
    record = normalised(source([observation(value=1.2), observation(resource_id="obs-2")]))

    assert [item.value for item in record.series("creatinine")] == [152.0]
    assert record.dropped_implausible == 1


def test_negative_values_are_dropped_and_counted() -> None:
    record = normalised(source([observation(Coding(LOINC, "14959-1"), -3.0, "mg/g")]))

    assert record.series("acr") == []
    assert record.dropped_implausible == 1


def test_dropped_values_are_warned_about_by_analyte_and_count_never_by_patient() -> None:
    record = normalised(source([observation(value=1.2), observation(value=0.9, resource_id="obs-2")]))

    [warning] = record.warnings
    assert warning.startswith("creatinine: 2 results outside the plausible range 10-3000 umol/L")
    assert PATIENT.nhs_number not in warning
    assert "Turing" not in warning


def test_an_unknown_unit_is_dropped_with_a_warning_but_not_counted_as_implausible() -> None:
    record = normalised(source([observation(unit="mmol/L")]))

    assert record.series("creatinine") == []
    assert record.dropped_implausible == 0
    assert record.warnings == ["creatinine: 1 result in an unrecognised unit ('mmol/L') dropped"]


def test_results_without_a_value_or_a_date_are_ignored_with_warnings() -> None:
    record = normalised(source([observation(value=None), observation(effective=None)]))

    assert record.series("creatinine") == []
    assert sorted(record.warnings) == [
        "creatinine: 1 result without a date ignored",
        "creatinine: 1 result without a numeric value ignored",
    ]


def test_results_with_codes_outside_the_tables_are_ignored_silently() -> None:
    record = normalised(source([observation(Coding(SNOMED, "1022541000000102"), 5.7, "10*9/L")]))

    assert record.measurements == {}
    assert record.warnings == []


def test_a_naive_date_is_read_as_utc() -> None:
    record = normalised(source([observation(effective=datetime(2024, 3, 1))]))

    assert record.series("creatinine")[0].taken_at == datetime(2024, 3, 1, tzinfo=UTC)


def test_series_are_sorted_oldest_first() -> None:
    dates = [WHEN, WHEN - timedelta(days=400), WHEN - timedelta(days=30)]
    observations = [observation(effective=day, resource_id=f"obs-{i}") for i, day in enumerate(dates)]

    record = normalised(source(observations))

    assert [item.taken_at for item in record.series("creatinine")] == sorted(dates)


def test_a_loinc_blood_pressure_panel_becomes_one_blood_pressure() -> None:
    record = normalised(source([bp_panel(142.0, 88.0)]))

    [reading] = record.blood_pressures
    assert (reading.taken_at, reading.systolic, reading.diastolic) == (WHEN, 142.0, 88.0)
    assert reading.provenance.code == Coding(LOINC, "55284-4")
    assert reading.provenance.resource_id == "bp-1"
    assert record.series("systolic-bp") == []


@pytest.mark.parametrize(
    "header",
    [Coding(SNOMED, "163020007"), Coding(SNOMED, "75367002"), Coding("https://emis.example/local", "BP1")],
)
def test_a_gp_connect_blood_pressure_with_components_becomes_one_blood_pressure(header: Coding) -> None:
    panel = observation(
        header,
        None,
        None,
        components=(
            SourceQuantity((Coding(SNOMED, "72313002"),), 130.0, "mm[Hg]"),
            SourceQuantity((Coding(SNOMED, "1091811000000102"),), 80.0, "mm[Hg]"),
        ),
    )

    record = normalised(source([panel]))

    assert [(bp.systolic, bp.diastolic) for bp in record.blood_pressures] == [(130.0, 80.0)]
    assert record.blood_pressures[0].provenance.code == header


def test_a_panel_with_an_implausible_component_keeps_the_other_as_a_single_reading() -> None:
    record = normalised(source([bp_panel(14.2, 88.0)]))

    assert record.blood_pressures == []
    assert [item.value for item in record.series("diastolic-bp")] == [88.0]
    assert record.dropped_implausible == 1


def test_standalone_systolic_and_diastolic_taken_together_are_paired() -> None:
    record = normalised(
        source(
            [
                observation(SYSTOLIC, 150.0, "mmHg", resource_id="sys-1"),
                observation(DIASTOLIC, 95.0, "mmHg", resource_id="dia-1"),
            ]
        )
    )

    [reading] = record.blood_pressures
    assert (reading.systolic, reading.diastolic) == (150.0, 95.0)
    assert reading.provenance.resource_id == "sys-1+dia-1"
    assert record.series("systolic-bp") == record.series("diastolic-bp") == []


def test_standalone_readings_taken_at_different_times_stay_single_measurements() -> None:
    record = normalised(
        source(
            [
                observation(SYSTOLIC, 150.0, "mmHg", resource_id="sys-1"),
                observation(DIASTOLIC, 95.0, "mmHg", resource_id="dia-1", effective=WHEN + timedelta(days=1)),
            ]
        )
    )

    assert record.blood_pressures == []
    assert [item.value for item in record.series("systolic-bp")] == [150.0]
    assert [item.value for item in record.series("diastolic-bp")] == [95.0]


def test_blood_pressures_are_sorted_oldest_first() -> None:
    later = bp_panel(150.0, 90.0, resource_id="bp-late")
    earlier = observation(
        Coding(LOINC, "85354-9"),
        None,
        None,
        resource_id="bp-early",
        effective=WHEN - timedelta(days=90),
        components=later.components,
    )

    record = normalised(source([later, earlier]))

    assert [bp.provenance.resource_id for bp in record.blood_pressures] == ["bp-early", "bp-late"]


def test_medications_and_conditions_carry_provenance_and_the_condition_display() -> None:
    record = normalised(source(medications=[medication()], conditions=[condition()]))

    [drug] = record.medications
    assert (drug.name, drug.status, drug.dosage) == ("Ramipril 5mg capsules", "active", "One daily")
    assert drug.provenance.resource_id == "med-1"
    [problem] = record.conditions
    assert problem.display == "Type 2 diabetes mellitus"
    assert problem.provenance.code == Coding(SNOMED, "44054006", "Type 2 diabetes mellitus")


def test_a_complete_source_is_reported_ok() -> None:
    record = normalised(source())

    [status] = record.sources
    assert (status.practice_ods, status.adapter, status.status, status.detail) == (
        "A12345",
        "gp-connect",
        "ok",
        None,
    )
    assert record.complete


def test_a_source_with_failed_parts_is_partial_and_names_them() -> None:
    failures = [SourceFailure("investigations", "not supported by the practice system")]

    record = normalised(source(failures=failures))

    [status] = record.sources
    assert status.status == "partial"
    assert status.detail == "failed: investigations (not supported by the practice system)"
    assert not record.complete


def test_upstream_warnings_come_first_among_the_warnings() -> None:
    record = normalised(source([observation(value=1.2)], upstream_warnings=["GP Connect: data in transit"]))

    assert record.warnings[0] == "GP Connect: data in transit"
    assert len(record.warnings) == 2


def test_the_patient_is_carried_over() -> None:
    patient = normalised(source()).patient

    assert (patient.nhs_number, patient.name, patient.birth_date, patient.sex) == (
        "9434765919",
        "Alan Turing",
        date(1953, 2, 19),
        Sex.MALE,
    )
