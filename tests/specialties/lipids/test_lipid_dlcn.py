"""DLCN from what is coded: published-table examples, the 8.45/8.5 boundary, unknown items as ranges."""

from __future__ import annotations

import pytest

from app.specialties.lipids.criteria import dlcn_over_5
from app.specialties.lipids.dlcn import DlcnScore, GroupScore, category, dlcn_score, ldl_points
from tests.specialties.lipids.lipid_builders import facts, finding, on, statin


def test_ldl_6_8_with_tendon_xanthoma_scores_11_definite() -> None:
    score = DlcnScore((GroupScore("LDL", ldl_points(6.8), 5, ""), GroupScore("exam", 6, 6, "")))
    assert score.low == 11
    assert category(score.low) == "definite"


def test_ldl_5_2_with_family_and_own_premature_chd_scores_6_probable() -> None:
    groups = (
        GroupScore("LDL", ldl_points(5.2), 3, ""),
        GroupScore("family", 1, 1, ""),
        GroupScore("own", 2, 2, ""),
    )
    assert DlcnScore(groups).low == 6
    assert category(6) == "probable"


@pytest.mark.parametrize(
    ("ldl", "points"),
    [(8.5, 8), (8.45, 5), (6.5, 5), (6.49, 3), (5.0, 3), (4.99, 1), (4.0, 1), (3.99, 0)],
)
def test_ldl_bands_close_the_gap_between_8_4_and_8_5(ldl: float, points: int) -> None:
    assert ldl_points(ldl) == points


@pytest.mark.parametrize(
    ("score", "name"),
    [(9, "definite"), (8, "probable"), (6, "probable"), (5, "possible"), (3, "possible"), (2, "unlikely")],
)
def test_categories(score: int, name: str) -> None:
    assert category(score) == name


def test_items_the_record_cannot_hold_are_unknown_and_the_criterion_says_so() -> None:
    outcome = dlcn_over_5(facts(ldl=[on("2020-01-01", 5.2)]))
    assert outcome.status == "insufficient-data"
    assert "unknown, as the record cannot hold them" in outcome.evidence
    assert "family history 0-2" in outcome.evidence
    assert "DNA analysis 0-8" in outcome.evidence


def test_coded_xanthoma_and_untreated_ldl_meet_the_criterion() -> None:
    outcome = dlcn_over_5(
        facts(ldl=[on("2020-01-01", 6.8)], xanthoma=[finding("Tendon xanthoma", "2019-05-01")])
    )
    assert outcome.status == "met"
    assert outcome.evidence.startswith("DLCN at least 11 (definite FH)")


def test_a_treated_ldl_is_only_a_lower_bound() -> None:
    treated = facts(ldl=[on("2020-01-01", 5.2)], statins=[statin("2018-01-01")])
    untreated = facts(ldl=[on("2020-01-01", 5.2)], statins=[statin("2021-01-01")])
    assert next(g for g in dlcn_score(treated).groups if g.group == "LDL cholesterol").high == 8
    assert next(g for g in dlcn_score(untreated).groups if g.group == "LDL cholesterol").high == 3


def test_premature_chd_counts_by_sex() -> None:
    man = facts(born="1960-01-01", sex="male", chd=[finding("Myocardial infarction", "2016-06-01")])
    woman = facts(born="1960-01-01", sex="female", chd=[finding("Myocardial infarction", "2016-06-01")])
    own = next(g for g in dlcn_score(man).groups if g.group == "own premature vascular disease")
    hers = next(g for g in dlcn_score(woman).groups if g.group == "own premature vascular disease")
    assert (own.low, own.high) == (0, 0)
    assert (hers.low, hers.high) == (2, 2)


def test_chd_without_an_onset_date_may_be_premature() -> None:
    score = dlcn_score(facts(chd=[finding("Angina")]))
    own = next(g for g in score.groups if g.group == "own premature vascular disease")
    assert (own.low, own.high) == (0, 2)
