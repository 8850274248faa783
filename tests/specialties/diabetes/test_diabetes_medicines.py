"""Glucose-lowering classes from names, and which of them set the 53 target."""

from __future__ import annotations

import pytest

from app.specialties.diabetes.medicines import HYPOGLYCAEMIA_CLASSES, glucose_lowering_classes


@pytest.mark.parametrize(
    ("text", "classes"),
    [
        ("Gliclazide 80mg tablets", ("sulfonylurea",)),
        ("glipiZIDE 5 MG Oral Tablet", ("sulfonylurea",)),
        ("Insulin glargine 100units/ml pre-filled pen", ("insulin",)),
        ("Humalog KwikPen", ("insulin",)),
        ("Repaglinide 1mg tablets", ("meglitinide",)),
        ("Metformin 500mg modified-release tablets", ("metformin",)),
        ("24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet", ("metformin",)),
        ("Janumet 50mg/1000mg tablets", ("metformin", "dpp4-inhibitor")),
        ("Sitagliptin 100mg tablets", ("dpp4-inhibitor",)),
        ("Dapagliflozin 10mg tablets", ("sglt2-inhibitor",)),
        ("Semaglutide 1mg/0.74ml pen", ("glp1-receptor-agonist",)),
        ("Mounjaro 5mg/0.5ml pen", ("gip-glp1-receptor-agonist",)),
        ("Pioglitazone 30mg tablets", ("thiazolidinedione",)),
        ("Xultophy 100units/ml / 3.6mg/ml pen", ("insulin", "glp1-receptor-agonist")),
        ("Teduglutide 5mg powder", ()),
        ("Ramipril 5mg capsules", ()),
    ],
)
def test_classes_are_read_from_ingredient_and_brand_names(text: str, classes: tuple[str, ...]) -> None:
    assert glucose_lowering_classes(text) == classes


def test_sulfonylureas_meglitinides_and_insulin_are_the_classes_associated_with_hypoglycaemia() -> None:
    assert {"sulfonylurea", "meglitinide", "insulin"} == HYPOGLYCAEMIA_CLASSES
