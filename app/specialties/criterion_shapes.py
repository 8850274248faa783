"""Criteria many specialties state the same way, with their clinical figures and wording as data.

- ``band_criteria``: one criterion per band of the latest result ("NT-proBNP above 2000 ng/L: 2 weeks").
- ``medicines_without_diagnosis``: medicines that suggest a condition, issued with none coded.
- ``condition_without_classes``: a coded condition without one of the medicine classes it calls for.

A specialty's own rule decides what only it knows (which medicines count, what lowers a result) and hands the
finding to the shape, which words the evidence and picks the status; absent evidence says when the record is
incomplete (``none_found``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from app.specialties.outcomes import CriterionOutcome, Status, none_found
from app.specialties.readings import Reading, ReportedAnalyte


def band_criteria(
    declared: Mapping[str, Any],
    analyte: ReportedAnalyte,
    latest: Reading | None,
    *,
    absent: str,
    settled: str | None = None,
    notes: Mapping[str, str] | None = None,
) -> list[CriterionOutcome]:
    """Each band's criterion for the latest result: met for its band, with the band's words and urgency.

    ``declared`` is ``rules.json``'s ``band_criteria``: ``bands`` (band → ``code``, ``title``, ``words``,
    ``urgency``), ``cited`` (the guideline quoted) and ``undecided`` (why a censored result has no band).
    Insufficient data with ``absent`` as evidence when there is no result; not met for any band when
    ``settled`` says why none applies; ``notes`` add to a band's evidence.
    """
    bands: Mapping[str, Mapping[str, Any]] = declared["bands"]

    def every(status: Status, evidence: str) -> list[CriterionOutcome]:
        return [CriterionOutcome(b["code"], b["title"], status, evidence) for b in bands.values()]

    if latest is None:
        return every("insufficient-data", absent)
    found, text = analyte.reading_band(latest), f"latest {analyte.title} {analyte.shown(latest)}"
    if settled:
        return every("not-met", f"{text}; {settled}")
    if found is None:
        return every("insufficient-data", f"{text} {declared['undecided']}")
    text += f" is {bands[found]['words']} ({declared['cited']}){(notes or {}).get(found, '')}"
    return [
        CriterionOutcome(b["code"], b["title"], "met", text, b["urgency"])
        if band == found
        else CriterionOutcome(b["code"], b["title"], "not-met", text)
        for band, b in bands.items()
    ]


def medicines_without_diagnosis(
    declared: Mapping[str, Any],
    issued: Sequence[str],
    *,
    coded: bool,
    excluded: date | None,
    complete: bool,
) -> CriterionOutcome:
    """Medicines that suggest a diagnosis, issued with none coded and none recently excluded.

    ``declared``: ``code``, ``title``, ``diagnosis`` (its words), ``medicine`` (what was looked for) and
    ``window`` ("3 months"), ``excluded_within`` ("3 years"); ``issued`` names the medicines found.
    """
    code, title, diagnosis = declared["code"], declared["title"], declared["diagnosis"]
    if coded:
        return CriterionOutcome(code, title, "not-met", f"{diagnosis} is coded")
    if excluded:
        evidence = f"{diagnosis} excluded on {excluded}, within {declared['excluded_within']}"
        return CriterionOutcome(code, title, "not-met", evidence)
    if issued:
        evidence = f"no {diagnosis} coded; issued in {declared['window']}: " + "; ".join(issued)
        return CriterionOutcome(code, title, "met", evidence)
    absent = none_found(f"{declared['medicine']} issued in the last {declared['window']}", complete=complete)
    return CriterionOutcome(code, title, "not-met" if complete else "insufficient-data", absent)


def condition_without_classes(
    declared: Mapping[str, Any], active_classes: frozenset[str], *, coded: bool, complete: bool
) -> CriterionOutcome:
    """A coded condition not treated with each of its groups of medicine classes (any one class of a group).

    ``declared``: ``code``, ``title``, ``condition`` (its words), ``groups`` (group words → classes) and
    ``on_all`` (the evidence when every group is on record).
    """
    code, title, condition = declared["code"], declared["title"], declared["condition"]
    if not coded:
        status: Status = "not-met" if complete else "insufficient-data"
        return CriterionOutcome(code, title, status, none_found(condition, complete=complete))
    groups: Mapping[str, list[str]] = declared["groups"]
    gaps = [group for group, classes in groups.items() if not active_classes.intersection(classes)]
    if not gaps:
        return CriterionOutcome(code, title, "not-met", f"{condition} coded; {declared['on_all']}")
    evidence = f"{condition} coded; not on {', '.join(gaps)}: check the record for a reason"
    return CriterionOutcome(code, title, "met" if complete else "insufficient-data", evidence)
