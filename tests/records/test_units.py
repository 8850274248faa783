"""Unit conversion to the canonical units and the plausible ranges (CLINICAL.md "Units and codes")."""

from __future__ import annotations

import pytest

from app.records.analytes import unit_key
from tests.support.catalogue import CATALOGUE

conversion_for = CATALOGUE.conversion_for


def convert(analyte: str, value: float, unit: str) -> float:
    conversion = conversion_for(analyte, unit)
    assert conversion is not None, f"{unit!r} not recognised for {analyte}"
    return conversion.convert(value)


def test_creatinine_in_mg_per_dl_becomes_umol_per_l() -> None:
    assert convert("creatinine", 1.2, "mg/dL") == pytest.approx(1.2 * 88.4)


def test_acr_in_mg_per_g_becomes_mg_per_mmol() -> None:
    assert convert("acr", 30.0, "mg/g") == pytest.approx(30.0 / 8.84)


def test_hba1c_in_percent_becomes_mmol_per_mol() -> None:
    assert convert("hba1c", 7.0, "%") == pytest.approx((7.0 - 2.15) * 10.929)


def test_hba1c_of_6_5_percent_is_48_mmol_per_mol() -> None:
    # The diagnostic threshold for diabetes, quoted in both units by WHO (2011).
    assert round(convert("hba1c", 6.5, "%")) == 48


def test_haemoglobin_in_g_per_dl_becomes_g_per_l() -> None:
    assert convert("haemoglobin", 13.5, "g/dL") == pytest.approx(135.0)


def test_potassium_in_meq_per_l_equals_mmol_per_l() -> None:
    assert convert("potassium", 4.2, "mEq/L") == 4.2


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [
        ("creatinine", "umol/L"),
        ("creatinine", "µmol/L"),
        ("creatinine", "μmol/L"),
        ("creatinine", "micromol/L"),
        ("creatinine", "umol/l"),
        ("acr", "mg/mmol"),
        ("potassium", "mmol/L"),
        ("haemoglobin", "g/L"),
        ("hba1c", "mmol/mol"),
        ("egfr", "mL/min/{1.73_m2}"),
        ("egfr", "mL/min/1.73m2"),
        ("egfr", "ml/min/1.73m2"),
        ("egfr", "mL/min/1.73 m2"),
        ("egfr", "mL/min/1.73m²"),
        ("egfr", "mL/min/1.73m^2"),
        ("systolic-bp", "mm[Hg]"),
        ("systolic-bp", "mmHg"),
        ("diastolic-bp", "mm Hg"),
    ],
)
def test_canonical_unit_spellings_are_recognised_and_left_unchanged(analyte: str, unit: str) -> None:
    conversion = conversion_for(analyte, unit)

    assert conversion is not None
    assert conversion.convert(42.0) == 42.0
    assert conversion.unit == CATALOGUE.definition(analyte).canonical_unit


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [
        ("creatinine", "mg/dl"),
        ("creatinine", "MG/DL"),
        ("acr", "mg/g{creat}"),
        ("haemoglobin", "g/dl"),
        ("hba1c", "%"),
    ],
)
def test_convertible_unit_spellings_are_recognised(analyte: str, unit: str) -> None:
    conversion = conversion_for(analyte, unit)

    assert conversion is not None
    assert conversion.unit == CATALOGUE.definition(analyte).canonical_unit


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [
        ("creatinine", "mmol/L"),
        ("creatinine", "10*9/L"),
        ("egfr", "mL/min"),
        ("haemoglobin", "mmol/L"),
        ("potassium", "mg/dL"),
        ("acr", "mg/L"),
        ("hba1c", None),
    ],
)
def test_an_unknown_or_missing_unit_has_no_conversion(analyte: str, unit: str | None) -> None:
    assert conversion_for(analyte, unit) is None


def test_a_creatinine_of_1_2_labelled_umol_per_l_is_implausible() -> None:
    conversion = conversion_for("creatinine", "umol/L")

    assert conversion is not None
    assert not conversion.plausible(conversion.convert(1.2))


def test_a_creatinine_of_1_2_mg_per_dl_is_plausible_after_conversion() -> None:
    conversion = conversion_for("creatinine", "mg/dL")

    assert conversion is not None
    assert conversion.plausible(conversion.convert(1.2))


@pytest.mark.parametrize(
    ("analyte", "inside", "outside"),
    [
        ("egfr", 41.6, 400.0),
        ("creatinine", 152.0, 5.0),
        ("acr", 4.2, -1.0),
        ("potassium", 5.1, 51.0),
        ("haemoglobin", 135.0, 13.5),
        ("hba1c", 48.0, 6.5),
        ("systolic-bp", 142.0, 14.2),
        ("diastolic-bp", 88.0, 880.0),
    ],
)
def test_each_analyte_has_a_plausible_range_in_its_canonical_unit(
    analyte: str, inside: float, outside: float
) -> None:
    bounds = CATALOGUE.definition(analyte).plausible

    assert bounds.low <= inside <= bounds.high
    assert not bounds.low <= outside <= bounds.high
    assert bounds.why


def test_every_analyte_with_a_unit_converts_its_own_canonical_unit() -> None:
    for code, definition in CATALOGUE.definitions.items():
        if definition.conversions:
            assert conversion_for(code, definition.canonical_unit) is not None, code


def test_unit_keys_ignore_case_spaces_and_micro_sign_spelling() -> None:
    assert unit_key(" µmol / L ") == unit_key("umol/l") == unit_key("\u03bcmol/L")
