"""Medicine classes by ingredient, and the sick-day and metformin prompts."""

from __future__ import annotations

import pytest

from app.specialties.nephrology.medicines import (
    active_antihypertensive_classes,
    classify_medications,
    medicine_classes_of_text,
    metformin_prompt,
    sick_day_prompt,
)
from schemas.api.nephrology import MedicineClass as C
from tests.specialties.nephrology.factories import day, medication


@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("Ramipril 5mg capsules", (C.ACEI,)),
        ("lisinopril 10 MG Oral Tablet", (C.ACEI,)),
        ("Losartan 50mg tablets", (C.ARB,)),
        ("Dapagliflozin 10mg tablets", (C.SGLT2I,)),
        ("Spironolactone 25mg tablets", (C.MRA,)),
        ("Eplerenone 25mg tablets", (C.MRA,)),
        ("Finerenone 10mg tablets", (C.FINERENONE,)),
        ("Atorvastatin 20mg tablets", (C.STATIN,)),
        ("Naproxen sodium 220 MG Oral Tablet", (C.NSAID,)),
        ("Ibuprofen 200 MG Oral Tablet", (C.NSAID,)),
        ("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", (C.METFORMIN,)),
        ("10 ML Furosemide 10 MG/ML Injection", (C.LOOP_DIURETIC,)),
        ("Bumetanide 1mg tablets", (C.LOOP_DIURETIC,)),
        ("Hydrochlorothiazide 25 MG", (C.THIAZIDE,)),
        ("Bendroflumethiazide 2.5mg tablets", (C.THIAZIDE,)),
        ("Indapamide 2.5mg tablets", (C.THIAZIDE,)),
        ("24 HR metoprolol succinate 100 MG Extended Release Oral Tablet [Toprol]", (C.BETA_BLOCKER,)),
        ("Carvedilol 12.5mg tablets", (C.BETA_BLOCKER,)),
        ("Labetalol 100mg tablets", (C.BETA_BLOCKER,)),
        ("Amlodipine 5 MG Oral Tablet", (C.CCB,)),
        ("Diltiazem 60mg modified-release tablets", (C.CCB,)),
        ("Doxazosin 4mg tablets", (C.ALPHA_BLOCKER,)),
        ("Tamsulosin 400microgram modified-release capsules", ()),
        ("Co-amilofruse 5mg/40mg tablets", (C.LOOP_DIURETIC,)),
        ("Co-tenidone 50mg/12.5mg tablets", (C.THIAZIDE, C.BETA_BLOCKER)),
        ("Sacubitril 49mg / Valsartan 51mg tablets", (C.ARB,)),
        ("Entresto 49mg/51mg tablets", (C.ARB,)),
        ("Xigduo 5mg/1000mg tablets", (C.SGLT2I, C.METFORMIN)),
        ("Paracetamol 500mg tablets", ()),
        ("Aspirin 75mg dispersible tablets", ()),
    ],
)
def test_a_medicine_is_classed_by_its_ingredients(name: str, classes: tuple[C, ...]) -> None:
    assert set(medicine_classes_of_text(name)) == set(classes)


def test_the_codings_display_text_is_read_too() -> None:
    [item] = classify_medications([medication("Repeat item 4", display="Empagliflozin 10mg tablets")])
    assert item.classes == (C.SGLT2I,)


def test_two_ace_inhibitors_are_one_antihypertensive_class() -> None:
    items = classify_medications([medication("Ramipril 5mg"), medication("Lisinopril 10mg")])
    assert list(active_antihypertensive_classes(items)) == [C.ACEI]


def test_a_stopped_medicine_is_not_an_active_class() -> None:
    items = classify_medications([medication("Amlodipine 5mg", status="stopped")])
    assert active_antihypertensive_classes(items) == {}


def test_a_statin_is_not_an_antihypertensive() -> None:
    assert active_antihypertensive_classes(classify_medications([medication("Atorvastatin 20mg")])) == {}


def test_sick_day_guidance_names_the_active_medicines_it_covers() -> None:
    items = classify_medications(
        [
            medication("Ramipril 5mg capsules"),
            medication("Atorvastatin 20mg tablets"),
            medication("Dapagliflozin 10mg tablets", status="stopped"),
            medication("Furosemide 40mg tablets"),
        ]
    )
    prompt = sick_day_prompt(items)
    assert prompt is not None
    assert prompt.startswith("Sick-day guidance applies to Ramipril 5mg capsules; Furosemide 40mg tablets:")


def test_no_sick_day_prompt_without_a_medicine_it_covers() -> None:
    assert sick_day_prompt(classify_medications([medication("Atorvastatin 20mg tablets")])) is None


@pytest.mark.parametrize(
    ("egfr", "advice"),
    [
        (29.9, "contraindicated below 30"),
        (30.0, "review the metformin dose"),
        (44.9, "review the metformin dose"),
    ],
)
def test_metformin_is_flagged_below_an_egfr_of_45(egfr: float, advice: str) -> None:
    prompt = metformin_prompt(
        classify_medications([medication("Metformin 500mg tablets")]), egfr=egfr, day=day("2024-01-01")
    )
    assert prompt is not None
    assert advice in prompt


def test_metformin_at_an_egfr_of_45_raises_no_prompt() -> None:
    items = classify_medications([medication("Metformin 500mg tablets")])
    assert metformin_prompt(items, egfr=45.0, day=day("2024-01-01")) is None


def test_a_low_egfr_without_metformin_raises_no_metformin_prompt() -> None:
    items = classify_medications([medication("Ramipril 5mg capsules")])
    assert metformin_prompt(items, egfr=20.0, day=day("2024-01-01")) is None
