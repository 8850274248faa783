"""Each boundary holds for every value, not only the published checks."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.specialties.diabetes.criteria import diabetes_criteria
from app.specialties.diabetes.glycaemia import glycaemic_picture
from app.specialties.diabetes.units import glucose_mmol_l, hba1c_mmol_mol_from_percent
from tests.specialties.diabetes.diabetes_factories import facts, medicine

LATEST = date(2026, 5, 1)
ifcc = st.integers(min_value=20, max_value=195)
percents = st.integers(min_value=30, max_value=200).map(lambda tenths: tenths / 10)


def statuses(*hba1c: tuple[date, float, str], **kwargs: Any) -> dict[str, str]:
    return {o.code: o.status for o in diabetes_criteria(facts(*hba1c, **kwargs))}


@given(percent=percents)
def test_percent_is_rounded_half_up_before_any_comparison(percent: float) -> None:
    raw = (Decimal(str(percent)) - Decimal("2.15")) * Decimal("10.929")
    reported = int(raw.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert hba1c_mmol_mol_from_percent(percent) == reported
    assert statuses((LATEST, percent, "%")) == statuses((LATEST, reported, "mmol/mol"))


@given(value=ifcc)
def test_the_thresholds_fall_where_the_docs_put_them(value: int) -> None:
    found = statuses((LATEST, value, "mmol/mol"))
    assert (found["hba1c-58-or-more-intensify"] == "met") == (value >= 58)
    assert (found["hba1c-over-75"] == "met") == (value > 75)
    assert (found["hba1c-over-90"] == "met") == (value > 90)
    assert (found["hba1c-above-individual-target"] == "met") == (value > 48)


@given(value=ifcc)
def test_a_drug_causing_hypoglycaemia_moves_the_target_to_53_and_flags_below_48(value: int) -> None:
    found = statuses((LATEST, value, "mmol/mol"), medicines=(medicine("Gliclazide 40mg tablets"),))
    assert (found["hba1c-above-individual-target"] == "met") == (value > 53)
    assert (found["hypo-risk-on-su-or-insulin-with-low-hba1c"] == "met") == (value < 48)


@given(value=ifcc)
def test_ndh_and_the_diabetes_range_part_at_48_with_no_gap(value: int) -> None:
    found = statuses((LATEST, value, "mmol/mol"), conditions=())
    assert (found["undiagnosed-diabetes-range"] == "met") == (value >= 48)
    assert (found["ndh-range"] == "met") == (42 <= value <= 47)


@given(before=ifcc, after=ifcc)
def test_rising_is_a_rise_of_6_or_more(before: int, after: int) -> None:
    found = statuses((date(2025, 8, 1), before, "mmol/mol"), (LATEST, after, "mmol/mol"))
    assert (found["rising-hba1c"] == "met") == (after - before >= 6)


@given(mg_dl=st.integers(min_value=40, max_value=500))
def test_a_us_fasting_glucose_gives_what_its_uk_twin_gives(mg_dl: int) -> None:
    mmol_l = glucose_mmol_l(mg_dl, "mg/dL")
    assert mmol_l is not None
    us = statuses(glucose=((LATEST, mg_dl, "mg/dL"),), conditions=())
    assert us == statuses(glucose=((LATEST, mmol_l, "mmol/L"),), conditions=())
    assert (us["undiagnosed-diabetes-range"] == "met") == (mmol_l >= 7.0)
    assert (us["ndh-range"] == "met") == (5.5 <= mmol_l <= 6.9)


@given(value=ifcc, percent=percents)
def test_a_same_day_percent_never_changes_the_ifcc_result(value: int, percent: float) -> None:
    picture = glycaemic_picture(facts((LATEST, percent, "%"), (LATEST, value, "mmol/mol")))
    assert [day.value for day in picture.hba1c] == [value]
