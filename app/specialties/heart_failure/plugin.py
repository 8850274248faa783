"""Heart failure as a specialty plug-in: NT-proBNP pathways (NICE NG106), medicines and HFrEF gaps."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel

from app.records.analytes import AnalyteDefinition, PlausibleRange, UnitConversion
from app.records.needs import MEDICINE_HISTORY_YEARS, RecordNeeds, ResultNeed
from app.specialties.analytes import CREATININE, EGFR, HAEMOGLOBIN, POTASSIUM
from app.specialties.base import (
    CaseFinding,
    CaseFindingRule,
    CriterionDefinition,
    FollowUpActionDefinition,
    SummaryContext,
    ThresholdBand,
)
from app.specialties.case_finding import criteria_rules, met_referral_criteria
from app.specialties.envelope import age_on, envelope, latest_day, medicines_public
from app.specialties.heart_failure import rules as r
from app.specialties.heart_failure.case_finding import (
    SUSPECTED_HEART_FAILURE_NOT_CODED,
    suspected_heart_failure,
)
from app.specialties.heart_failure.value_sets import value_set
from app.specialties.value_sets import coded_onsets, matching
from schemas.api import summary as s
from schemas.clinical import ClinicalRecord, Coding, Sex

FOLDER = Path(__file__).parent / "value_sets"


def _analyte(spec: dict[str, Any]) -> AnalyteDefinition:
    scale = spec["pmol_scale"]
    conversions = (
        UnitConversion(tuple(spec["units"])),
        *([UnitConversion(("pmol/L",), scale)] if scale else []),
    )
    return AnalyteDefinition(
        spec["code"],
        spec["title"],
        spec["units"][0],
        conversions,
        PlausibleRange(*spec["plausible"]),
        (str(FOLDER / f"{spec['code']}.json"),),
        r.SOURCE,
        unitless=spec["unitless"],
    )


ANALYTES = (*map(_analyte, r.RULES["analytes"]), HAEMOGLOBIN, CREATININE, EGFR, POTASSIUM)
CONDITIONS: tuple[str, ...] = tuple(r.RULES["conditions"])
MEDICINE_CLASSES = tuple(sorted(p.stem.removeprefix("medicine-") for p in FOLDER.glob("medicine-*.json")))
CRITERIA = tuple(
    CriterionDefinition(code, title, r.SOURCE)
    for code, title in [
        *((b["criterion"], b["title"]) for b in r.BANDS.values()),
        *r.RULES["criteria"].items(),
    ]
)
CODES = tuple(a.code for a in ANALYTES)
NEEDS = RecordNeeds(tuple(map(ResultNeed, CODES)), medication_years=MEDICINE_HISTORY_YEARS)
TITLES = {c.code: c.title for c in CRITERIA}
# ThresholdBand's high end is exclusive; NICE's six weeks includes 2000, so its band ends just above it.
ABOVE_2000 = math.nextafter(2000.0, math.inf)
CHART = (
    ThresholdBand(None, 400.0, "HF unlikely", "normal"),
    ThresholdBand(400.0, ABOVE_2000, "6 weeks", "attention"),
)
FLAGS: dict[str | None, s.HighlightFlag] = r.RULES["highlight_flags"]


class HeartFailureSummary(s.SpecialtySummary):
    specialty: Literal["heart-failure"] = "heart-failure"
    outcome: str
    ntprobnp_band: Literal["two-week", "six-week", "under-400"] | None
    missing_attachments: list[str]
    confounders: list[str]
    case_finding: bool


def facts_from_record(record: ClinicalRecord, today: date) -> r.HeartFailureFacts:
    """The facts the rules read; a pmol/L result goes back to its reported number for NICE's figures."""

    def readings(analyte: str) -> tuple[r.Reading, ...]:
        found = (
            r.reading(m.taken_at.date(), m.value, m.provenance.unit, m.comparator)
            for m in record.series(analyte)
        )
        factor = r.RULES["ng_per_pmol"][analyte]
        return tuple(
            replace(x, value=round(x.value / factor, 6)) if x.unit == "pmol/L" else x for x in found if x
        )

    conditions = coded_onsets(record.conditions, CONDITIONS, value_set)
    medicines = tuple(
        r.Medicine(m.name, _classes(m.codings, m.name), m.authored_on, m.status == "active")
        for m in record.medications
    )
    bmi, birth = record.series("bmi"), record.patient.birth_date
    return r.HeartFailureFacts(
        today,
        readings("ntprobnp"),
        readings("bnp"),
        (bmi[-1].taken_at.date(), bmi[-1].value) if bmi else None,
        medicines,
        conditions,
        latest_day(record, "haemoglobin"),
        latest_day(record, "creatinine", "egfr", "potassium"),
        None if birth is None else age_on(birth, today),
        record.patient.sex is Sex.FEMALE,
        record.complete,
    )


def _classes(codings: tuple[Coding, ...], name: str) -> frozenset[str]:
    return matching(MEDICINE_CLASSES, lambda c: value_set(f"medicine-{c}"), codings, name)


@dataclass(frozen=True)
class HeartFailure:
    code: str = "heart-failure"
    title: str = "Heart failure"
    description: str = (
        "Suspected heart failure: NT-proBNP pathways (NICE NG106), medicines and HFrEF treatment gaps"
    )
    analytes: tuple[AnalyteDefinition, ...] = ANALYTES
    needs: RecordNeeds = NEEDS
    referral_criteria: tuple[CriterionDefinition, ...] = CRITERIA
    case_finding_rules: tuple[CaseFindingRule, ...] = (
        *criteria_rules(CRITERIA),
        SUSPECTED_HEART_FAILURE_NOT_CODED,
    )
    advice_outcomes: tuple[str, ...] = tuple(r.RULES["advice_outcomes"])
    follow_up_actions: tuple[FollowUpActionDefinition, ...] = r.FOLLOW_UP_ACTIONS
    summary_model: type[HeartFailureSummary] = HeartFailureSummary
    settings_model: type[BaseModel] | None = None
    thresholds: Mapping[str, tuple[ThresholdBand, ...]] = field(
        default_factory=lambda: MappingProxyType(
            {"ntprobnp": (*CHART, ThresholdBand(ABOVE_2000, None, "2 weeks", "urgent"))}
        )
    )

    def build_summary(self, record: ClinicalRecord, context: SummaryContext) -> HeartFailureSummary:
        facts = facts_from_record(record, context.today)
        criteria = [s.CriterionResult(title=TITLES[c.code], **asdict(c)) for c in r.referral_criteria(facts)]
        medicines = medicines_public(record.medications, lambda m: sorted(_classes(m.codings, m.name)))
        missing = r.missing_attachments(facts)
        return HeartFailureSummary(
            **envelope(
                record, context, analytes=CODES, criteria=criteria, medications=medicines, warnings=missing
            ),
            outcome=r.outcome(facts),
            ntprobnp_band=r.reading_band(facts.ntprobnp[-1]) if facts.ntprobnp else None,
            missing_attachments=missing,
            confounders=r.confounders(facts),
            case_finding=r.case_finding(facts),
        )

    def case_findings(
        self, summary: s.SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        assert isinstance(summary, HeartFailureSummary)
        met = met_referral_criteria(summary)
        if not summary.case_finding:
            return met
        # The facts build_summary read, on the same day, so the evidence is the summary's own reading.
        found = suspected_heart_failure(facts_from_record(record, context.today))
        return met + ((found,) if found else ())

    def highlights(self, summary: s.SpecialtySummary) -> tuple[s.Highlight, ...]:
        assert isinstance(summary, HeartFailureSummary)
        latest, flag = summary.latest.get("ntprobnp"), FLAGS.get(summary.ntprobnp_band)
        return (
            s.Highlight(label="NT-proBNP", value=latest.value if latest else None, unit="ng/L", flag=flag),
            s.Highlight(label="Pathway", value=summary.outcome, flag=flag),
            s.Highlight(label="Attachments missing", value=len(summary.missing_attachments) or None),
        )

    def letter_series(self, summary: s.SpecialtySummary) -> str | None:
        return "ntprobnp"


HEART_FAILURE = HeartFailure()
