"""What the records service asks a practice for: the specialty's codes and windows, one search per window."""

from __future__ import annotations

from datetime import date

from app.records.needs import RecordNeeds, ResultNeed
from app.records.service import record_query
from app.specialties.nephrology.plugin import NEPHROLOGY_NEEDS
from tests.support.catalogue import CATALOGUE

TODAY = date(2026, 11, 22)


def test_analytes_sharing_a_window_share_one_search() -> None:
    needs = RecordNeeds(
        results=(
            ResultNeed("egfr"),
            ResultNeed("potassium", years=2),
            ResultNeed("creatinine"),
        )
    )
    query = record_query(needs, CATALOGUE, TODAY, history_years=20)
    assert [(search.name, search.since) for search in query.observations] == [
        ("egfr+creatinine", date(2006, 11, 22)),
        ("potassium", date(2024, 11, 22)),
    ]
    assert query.observations[0].codes == CATALOGUE.codes_for("egfr") + CATALOGUE.codes_for("creatinine")


def test_the_nephrology_record_is_one_search_of_the_whole_history_with_every_code_it_needs() -> None:
    query = record_query(NEPHROLOGY_NEEDS, CATALOGUE, TODAY, history_years=25)
    assert [search.since for search in query.observations] == [date(2001, 11, 22)]
    asked = {code for search in query.observations for code in search.codes}
    for need in NEPHROLOGY_NEEDS.results:
        assert set(CATALOGUE.codes_for(need.analyte)) <= asked
    assert query.medications_since == date(2021, 11, 22)


def test_no_window_reaches_further_back_than_the_history_cap() -> None:
    needs = RecordNeeds(results=(ResultNeed("acr", years=30),))
    assert record_query(needs, CATALOGUE, TODAY, history_years=20).observations[0].since == date(2006, 11, 22)


def test_a_window_ending_on_29_february_starts_on_the_28th() -> None:
    needs = RecordNeeds(results=(ResultNeed("acr", years=1),))
    query = record_query(needs, CATALOGUE, date(2028, 2, 29), history_years=20)
    assert query.observations[0].since == date(2027, 2, 28)
