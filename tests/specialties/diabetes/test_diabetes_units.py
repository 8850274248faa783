"""HbA1c and glucose conversions against the published oracles (SPECIALTIES.md 1.4; NICE's 48/53/58 pairs)."""

from __future__ import annotations

import pytest

from app.specialties.diabetes.units import (
    glucose_mmol_l,
    hba1c_mmol_mol,
    hba1c_mmol_mol_from_percent,
    hba1c_percent_from_mmol_mol,
)


@pytest.mark.parametrize(
    ("percent", "mmol_mol"),
    [(4.0, 20), (6.0, 42), (6.5, 48), (7.0, 53), (7.5, 58), (8.0, 64), (9.0, 75), (10.0, 86), (12.0, 108)],
)
def test_percent_converts_to_the_whole_mmol_mol_a_laboratory_reports(percent: float, mmol_mol: int) -> None:
    assert hba1c_mmol_mol_from_percent(percent) == mmol_mol


def test_six_and_a_half_percent_is_47_54_by_the_equation_and_48_as_reported() -> None:
    raw = (6.5 - 2.15) * 10.929
    assert round(raw, 3) == 47.541
    assert hba1c_mmol_mol(6.5, "%") == 48


@pytest.mark.parametrize(("mmol_mol", "percent"), [(48, 6.5), (53, 7.0), (58, 7.5), (75, 9.0)])
def test_mmol_mol_converts_back_to_one_decimal_place_of_percent(mmol_mol: int, percent: float) -> None:
    assert hba1c_percent_from_mmol_mol(mmol_mol) == percent


@pytest.mark.parametrize("unit", ["mmol/mol", "mmol/mol{Hb}", " MMOL/MOL "])
def test_ifcc_spellings_are_read_as_mmol_mol(unit: str) -> None:
    assert hba1c_mmol_mol(64, unit) == 64


@pytest.mark.parametrize("unit", ["%", "%{Hb}", "percent"])
def test_dcct_spellings_are_read_as_percent(unit: str) -> None:
    assert hba1c_mmol_mol(8.0, unit) == 64


@pytest.mark.parametrize("unit", [None, "", "g/dL", "mmol/L"])
def test_an_hba1c_without_a_known_unit_is_refused_not_guessed(unit: str | None) -> None:
    assert hba1c_mmol_mol(6.5, unit) is None


def test_an_ifcc_value_with_decimals_is_rounded_half_up_as_a_laboratory_prints_it() -> None:
    assert hba1c_mmol_mol(47.5, "mmol/mol") == 48
    assert hba1c_mmol_mol(47.49, "mmol/mol") == 47


@pytest.mark.parametrize(("mg_dl", "mmol_l"), [(126, 7.0), (125, 6.9), (99, 5.5), (100, 5.6), (200, 11.1)])
def test_glucose_in_mg_dl_converts_to_mmol_l_to_one_decimal_place(mg_dl: float, mmol_l: float) -> None:
    assert glucose_mmol_l(mg_dl, "mg/dL") == mmol_l


def test_glucose_in_mmol_l_is_rounded_to_one_place_and_an_unknown_unit_refused() -> None:
    assert glucose_mmol_l(6.95, "mmol/L") == 7.0
    assert glucose_mmol_l(7.0, None) is None
    assert glucose_mmol_l(7.0, "%") is None
