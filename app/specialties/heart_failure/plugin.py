"""Heart failure as a specialty plug-in: NT-proBNP pathways (NICE NG106), medicines and HFrEF gaps.

Its declaration (analytes, conditions, criteria, actions, chart bands) is ``rules.json``; this is its summary.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Literal

from app.specialties.analytes import CREATININE, EGFR, HAEMOGLOBIN, POTASSIUM
from app.specialties.base import CaseFinding, SummaryContext
from app.specialties.declared import DeclaredSpecialty
from app.specialties.envelope import latest_day
from app.specialties.heart_failure import rules as r
from app.specialties.heart_failure.case_finding import suspected_heart_failure
from schemas.api import summary as s
from schemas.clinical import ClinicalRecord


class HeartFailureSummary(s.SpecialtySummary):
    specialty: Literal["heart-failure"] = "heart-failure"
    outcome: str
    ntprobnp_band: Literal["two-week", "six-week", "under-400"] | None
    missing_attachments: list[str]
    confounders: list[str]
    case_finding: bool


def facts_from_record(record: ClinicalRecord, today: date) -> r.HeartFailureFacts:
    """The facts the rules read; a pmol/L result goes back to its reported number for NICE's figures."""
    bmi = record.series("bmi")
    return replace(
        r.HeartFailureFacts.from_record(r.FOLDER, record, today),
        ntprobnp=r.PEPTIDES["ntprobnp"].readings(record),
        bnp=r.PEPTIDES["bnp"].readings(record),
        latest_bmi=(bmi[-1].taken_at.date(), bmi[-1].value) if bmi else None,
        last_fbc=latest_day(record, "haemoglobin"),
        last_ue=latest_day(record, "creatinine", "egfr", "potassium"),
    )


class HeartFailure(DeclaredSpecialty):
    def build_summary(self, record: ClinicalRecord, context: SummaryContext) -> HeartFailureSummary:
        facts = facts_from_record(record, context.today)
        missing = r.missing_attachments(facts)
        return HeartFailureSummary(
            **self.envelope(record, context, r.referral_criteria(facts), warnings=missing),
            outcome=r.outcome(facts),
            ntprobnp_band=r.reading_band(facts.ntprobnp[-1]) if facts.ntprobnp else None,
            missing_attachments=missing,
            confounders=r.confounders(facts),
            case_finding=r.case_finding(facts),
        )

    def searches(
        self, summary: s.SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        assert isinstance(summary, HeartFailureSummary)
        if not summary.case_finding:
            return ()
        # The facts build_summary read, on the same day, so the evidence is the summary's own reading.
        found = suspected_heart_failure(facts_from_record(record, context.today))
        return (found,) if found else ()

    def highlights(self, summary: s.SpecialtySummary) -> tuple[s.Highlight, ...]:
        assert isinstance(summary, HeartFailureSummary)
        latest, flag = summary.latest.get("ntprobnp"), r.NTPROBNP.flag(summary.ntprobnp_band)
        return (
            s.Highlight(label="NT-proBNP", value=latest.value if latest else None, unit="ng/L", flag=flag),
            s.Highlight(label="Pathway", value=summary.outcome, flag=flag),
            s.Highlight(label="Attachments missing", value=len(summary.missing_attachments) or None),
        )


HEART_FAILURE = HeartFailure.from_folder(
    r.FOLDER, HeartFailureSummary, HAEMOGLOBIN, CREATININE, EGFR, POTASSIUM
)
