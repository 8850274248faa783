"""mg/dL to mmol/L through the analyte catalogue with each lipid's own factor, rounded as a UK laboratory
reports; units never guessed."""

from __future__ import annotations

import pytest

from app.specialties.lipids.units import Lipid, reported
from tests.specialties.lipids.lipid_builders import in_mmol


@pytest.mark.parametrize(
    ("lipid", "mg_dl", "mmol"),
    [
        (Lipid.TOTAL_CHOLESTEROL, 200, 5.2),
        (Lipid.TOTAL_CHOLESTEROL, 294, 7.6),
        (Lipid.HDL, 46, 1.2),
        (Lipid.LDL, 175, 4.5),
        (Lipid.NON_HDL, 290, 7.5),
        (Lipid.TRIGLYCERIDES, 150, 1.7),
        (Lipid.TRIGLYCERIDES, 886, 10.0),
        (Lipid.TRIGLYCERIDES, 1772, 20.0),
    ],
)
def test_mg_per_dl_converts_with_the_lipids_own_factor(lipid: Lipid, mg_dl: float, mmol: float) -> None:
    assert in_mmol(lipid, mg_dl, "mg/dL") == mmol


def test_triglyceride_and_cholesterol_factors_differ() -> None:
    assert in_mmol(Lipid.TRIGLYCERIDES, 150, "mg/dL") == 1.7
    assert in_mmol(Lipid.TOTAL_CHOLESTEROL, 150, "mg/dL") == 3.9


def test_a_value_in_mmol_per_litre_is_kept_as_reported() -> None:
    assert in_mmol(Lipid.HDL, 1.23, "mmol/L") == 1.23


@pytest.mark.parametrize("unit", [None, "", "g/L", "%"])
def test_a_result_without_a_lipid_unit_is_refused(unit: str | None) -> None:
    assert in_mmol(Lipid.TRIGLYCERIDES, 35, unit) is None


def test_reporting_rounds_half_up_to_one_place() -> None:
    assert reported(7.45) == 7.5
    assert reported(7.44999) == 7.4
