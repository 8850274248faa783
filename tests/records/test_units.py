"""Unit conversion to the canonical units and the plausible ranges (CLINICAL.md "Units and codes")."""

from __future__ import annotations

import pytest

from app.records.units import PLAUSIBLE_RANGES, conversion_for, unit_key
from schemas.clinical import CANONICAL_UNITS, Analyte


def convert(analyte: Analyte, value: float, unit: str) -> float:
    conversion = conversion_for(analyte, unit)
    assert conversion is not None, f"{unit!r} not recognised for {analyte}"
    return conversion.convert(value)


def test_creatinine_in_mg_per_dl_becomes_umol_per_l() -> None:
    assert convert(Analyte.CREATININE, 1.2, "mg/dL") == pytest.approx(1.2 * 88.4)


def test_acr_in_mg_per_g_becomes_mg_per_mmol() -> None:
    assert convert(Analyte.ACR, 30.0, "mg/g") == pytest.approx(30.0 / 8.84)


def test_hba1c_in_percent_becomes_mmol_per_mol() -> None:
    assert convert(Analyte.HBA1C, 7.0, "%") == pytest.approx((7.0 - 2.15) * 10.929)


def test_hba1c_of_6_5_percent_is_48_mmol_per_mol() -> None:
    # The diagnostic threshold for diabetes, quoted in both units by WHO (2011).
    assert round(convert(Analyte.HBA1C, 6.5, "%")) == 48


def test_haemoglobin_in_g_per_dl_becomes_g_per_l() -> None:
    assert convert(Analyte.HAEMOGLOBIN, 13.5, "g/dL") == pytest.approx(135.0)


def test_potassium_in_meq_per_l_equals_mmol_per_l() -> None:
    assert convert(Analyte.POTASSIUM, 4.2, "mEq/L") == 4.2


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [
        (Analyte.CREATININE, "umol/L"),
        (Analyte.CREATININE, "µmol/L"),
        (Analyte.CREATININE, "μmol/L"),
        (Analyte.CREATININE, "micromol/L"),
        (Analyte.CREATININE, "umol/l"),
        (Analyte.ACR, "mg/mmol"),
        (Analyte.POTASSIUM, "mmol/L"),
        (Analyte.HAEMOGLOBIN, "g/L"),
        (Analyte.HBA1C, "mmol/mol"),
        (Analyte.EGFR, "mL/min/{1.73_m2}"),
        (Analyte.EGFR, "mL/min/1.73m2"),
        (Analyte.EGFR, "ml/min/1.73m2"),
        (Analyte.EGFR, "mL/min/1.73 m2"),
        (Analyte.EGFR, "mL/min/1.73m²"),
        (Analyte.EGFR, "mL/min/1.73m^2"),
        (Analyte.SYSTOLIC_BP, "mm[Hg]"),
        (Analyte.SYSTOLIC_BP, "mmHg"),
        (Analyte.DIASTOLIC_BP, "mm Hg"),
    ],
)
def test_canonical_unit_spellings_are_recognised_and_left_unchanged(analyte: Analyte, unit: str) -> None:
    conversion = conversion_for(analyte, unit)

    assert conversion is not None
    assert conversion.convert(42.0) == 42.0
    assert conversion.unit == CANONICAL_UNITS[analyte]


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [
        (Analyte.CREATININE, "mg/dl"),
        (Analyte.CREATININE, "MG/DL"),
        (Analyte.ACR, "mg/g{creat}"),
        (Analyte.HAEMOGLOBIN, "g/dl"),
        (Analyte.HBA1C, "%"),
    ],
)
def test_convertible_unit_spellings_are_recognised(analyte: Analyte, unit: str) -> None:
    conversion = conversion_for(analyte, unit)

    assert conversion is not None
    assert conversion.unit == CANONICAL_UNITS[analyte]


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [
        (Analyte.CREATININE, "mmol/L"),
        (Analyte.CREATININE, "10*9/L"),
        (Analyte.EGFR, "mL/min"),
        (Analyte.HAEMOGLOBIN, "mmol/L"),
        (Analyte.POTASSIUM, "mg/dL"),
        (Analyte.ACR, "mg/L"),
        (Analyte.HBA1C, None),
    ],
)
def test_an_unknown_or_missing_unit_has_no_conversion(analyte: Analyte, unit: str | None) -> None:
    assert conversion_for(analyte, unit) is None


def test_a_creatinine_of_1_2_labelled_umol_per_l_is_implausible() -> None:
    conversion = conversion_for(Analyte.CREATININE, "umol/L")

    assert conversion is not None
    assert not conversion.plausible(conversion.convert(1.2))


def test_a_creatinine_of_1_2_mg_per_dl_is_plausible_after_conversion() -> None:
    conversion = conversion_for(Analyte.CREATININE, "mg/dL")

    assert conversion is not None
    assert conversion.plausible(conversion.convert(1.2))


@pytest.mark.parametrize(
    ("analyte", "inside", "outside"),
    [
        (Analyte.EGFR, 41.6, 400.0),
        (Analyte.CREATININE, 152.0, 5.0),
        (Analyte.ACR, 4.2, -1.0),
        (Analyte.POTASSIUM, 5.1, 51.0),
        (Analyte.HAEMOGLOBIN, 135.0, 13.5),
        (Analyte.HBA1C, 48.0, 6.5),
        (Analyte.SYSTOLIC_BP, 142.0, 14.2),
        (Analyte.DIASTOLIC_BP, 88.0, 880.0),
    ],
)
def test_each_analyte_has_a_plausible_range_in_its_canonical_unit(
    analyte: Analyte, inside: float, outside: float
) -> None:
    bounds = PLAUSIBLE_RANGES[analyte]

    assert bounds.low <= inside <= bounds.high
    assert not bounds.low <= outside <= bounds.high
    assert bounds.why


def test_every_measured_analyte_has_a_range() -> None:
    assert set(PLAUSIBLE_RANGES) == set(CANONICAL_UNITS)


def test_unit_keys_ignore_case_spaces_and_micro_sign_spelling() -> None:
    assert unit_key(" µmol / L ") == unit_key("umol/l") == unit_key("\u03bcmol/L")
