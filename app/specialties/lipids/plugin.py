"""Lipids as a specialty plug-in: familial hypercholesterolaemia and lipid management (NICE CG71, NG238)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, Field

from app.records.analytes import AnalyteDefinition
from app.records.needs import RecordNeeds, ResultNeed
from app.specialties.base import (
    CaseFinding,
    CaseFindingRule,
    CriterionDefinition,
    FollowUpActionDefinition,
    SummaryContext,
    ThresholdBand,
)
from app.specialties.case_finding import criteria_rules, met_referral_criteria
from app.specialties.envelope import criterion_result, envelope, medicines_public
from app.specialties.lipids import coded
from app.specialties.lipids import criteria as c
from app.specialties.lipids.case_finding import CG71_RECORD_SEARCH, cg71_record_search
from app.specialties.lipids.dlcn import dlcn_score
from app.specialties.lipids.facts import LipidFacts
from app.specialties.lipids.profile import LipidResult, Origin, lipid_series
from app.specialties.lipids.units import CANONICAL_UNIT, LIPID_ANALYTES, Lipid
from schemas.api import summary as s
from schemas.clinical import ClinicalRecord

_SOURCES = {
    "tc-over-7.5-under-30": "NICE CG71 (2017), 1.1.2",
    "tc-over-9-age-30-plus": "NICE CG71 (2017), 1.1.2",
    "non-hdl-over-7.5-or-tc-over-9": "NICE CG181 (2014) 1.3.26, carried into NG238 (2023)",
    "homozygous-fh-range": "NICE CG71 (2008), 1.1.8",
    "tg-10-to-20-repeat": "NICE CG181 (2014) 1.3.25, carried into NG238 (2023)",
    "tg-over-20-urgent": "NICE CG181 (2014) 1.3.24, carried into NG238 (2023)",
    "secondary-prevention-above-target": "NICE NG238 (2023), secondary prevention target",
    "dlcn-over-5": "NICE CG71 (2017), 1.1.6; DLCN per Nordestgaard, Eur Heart J 2013",
}
CRITERIA = tuple(CriterionDefinition(code, title, _SOURCES[code]) for code, title in c.TITLES.items())
OUTCOMES = (
    "return-with-advice",
    "further-information-required",
    "refer-fh-service",
    "urgent-lipid-review",
    "converted-to-referral",
)
_Action = FollowUpActionDefinition
ACTIONS = (
    _Action(
        "repeat-fasting-triglyceride",
        "Repeat fasting triglyceride in 5 to 14 days",
        14,
        satisfied_by=(frozenset({Lipid.TRIGLYCERIDES.value}),),
    ),
    _Action("urgent-lipid-specialist-review", "Arrange urgent lipid specialist review", 2),
    _Action("exclude-secondary-causes", "Check TSH, HbA1c, LFTs, U&E and urine protein", 28),
    _Action(
        "repeat-ldl-to-confirm",
        "Repeat LDL cholesterol to confirm (two measurements)",
        28,
        satisfied_by=(frozenset({Lipid.LDL.value}),),
    ),
    _Action("refer-fh-dna-testing", "Refer to the FH service for DNA testing", 28),
    _Action("record-family-history", "Record family history of premature CHD and high cholesterol", 28),
    _Action("start-high-intensity-statin", "Start or increase a high-intensity statin", 28),
    _Action("add-ezetimibe", "Add ezetimibe", 28),
    # A full profile: total cholesterol, HDL and triglycerides (LDL and non-HDL are often calculated).
    _Action(
        "repeat-lipids-3-months",
        "Repeat full lipid profile in 3 months",
        90,
        satisfied_by=tuple(
            frozenset({lipid.value}) for lipid in (Lipid.TOTAL_CHOLESTEROL, Lipid.HDL, Lipid.TRIGLYCERIDES)
        ),
    ),
    _Action("annual-lipid-review", "Annual lipid profile and adherence review", 365),
    _Action("cascade-testing", "Offer cascade testing to first-degree relatives", 90),
)
# Chart bands in mmol/L at the criteria's thresholds. A band's low end is inclusive, so a result exactly on a
# threshold shades the band above it while the rule, "above" the figure, does not count it: the evidence
# text is the verdict, the shading a guide.
_Band = ThresholdBand
THRESHOLDS = MappingProxyType(
    {
        Lipid.TOTAL_CHOLESTEROL.value: (_Band(c.TC_UNDER_30, c.TC_FROM_30, "FH search under 30", "attention"),
                                         _Band(c.TC_FROM_30, None, "Specialist assessment", "urgent")),
        Lipid.LDL.value: (_Band(None, c.LDL_TARGET, "NG238 target", "normal"),
                          _Band(c.HOMOZYGOUS_LDL_ADULT, None, "Homozygous FH range", "urgent")),
        Lipid.NON_HDL.value: (_Band(None, c.NON_HDL_TARGET, "NG238 target", "normal"),
                              _Band(c.NON_HDL_SPECIALIST, None, "Specialist assessment", "attention")),
        Lipid.TRIGLYCERIDES.value: (_Band(c.TG_REPEAT, c.TG_URGENT, "Repeat fasting", "attention"),
                                    _Band(c.TG_URGENT, None, "Urgent review", "urgent")),
    }
)  # fmt: skip


# Every result and 20 years of medicines (the service's history cap): FH is judged on the highest untreated
# cholesterol, however old, and an LDL counts as untreated only if no statin preceded it.
NEEDS = RecordNeeds(tuple(ResultNeed(lipid.value) for lipid in Lipid), medication_years=20)


class LipidsSummary(s.SpecialtySummary):
    specialty: Literal["lipids"] = "lipids"
    dlcn_low: int = Field(
        description="DLCN score from what is coded, counting what the record cannot hold as 0"
    )
    dlcn_high: int = Field(description="DLCN score counting everything the record cannot hold at its maximum")
    cg71_search_match: bool = Field(description="Meets the NICE CG71 1.1.2 record search for FH")
    computed: dict[str, list[dt.date]] = Field(
        description="Days whose value the series computed, not the laboratory: non-HDL as total cholesterol "
        "minus HDL, LDL by Friedewald"
    )


def _points(results: tuple[LipidResult, ...]) -> list[s.ResultValue]:
    return [
        s.ResultValue(date=r.day, value=r.value, unit=CANONICAL_UNIT, comparator=r.comparator)
        for r in results
    ]


def lipid_facts(record: ClinicalRecord, today: dt.date) -> LipidFacts:
    """The one place the record becomes facts, so the summary, case finding and worklist cannot disagree.

    Results arrive in mmol/L: the catalogue converted mg/dL and refused, with a warning, any without a unit.
    """
    results = {
        lipid: [LipidResult(m.taken_at.date(), m.value, m.comparator) for m in record.series(lipid.value)]
        for lipid in Lipid
    }
    conditions = record.conditions
    return LipidFacts(
        today=today,
        birth_date=record.patient.birth_date,
        sex=record.patient.sex.value,
        lipids=lipid_series(results),
        lipid_lowering=coded.lipid_lowering(record.medications),
        coronary_heart_disease=coded.CORONARY_HEART_DISEASE.findings(conditions),
        cerebral_or_peripheral_vascular_disease=coded.CEREBRAL_OR_PERIPHERAL.findings(conditions),
        familial_hypercholesterolaemia=coded.FAMILIAL_HYPERCHOLESTEROLAEMIA.findings(conditions),
        tendon_xanthoma=coded.TENDON_XANTHOMA.findings(conditions),
        corneal_arcus=coded.CORNEAL_ARCUS.findings(conditions),
        fh_mutation=coded.FH_MUTATION.findings(conditions),
        diabetes=coded.DIABETES.findings(conditions),
        excess_alcohol=coded.EXCESS_ALCOHOL.findings(conditions),
        record_complete=record.complete,
    )


@dataclass(frozen=True)
class Lipids:
    code: str = "lipids"
    title: str = "Lipids"
    description: str = "Familial hypercholesterolaemia and lipid management (NICE CG71, NG238)"
    analytes: tuple[AnalyteDefinition, ...] = LIPID_ANALYTES
    needs: RecordNeeds = NEEDS
    referral_criteria: tuple[CriterionDefinition, ...] = CRITERIA
    case_finding_rules: tuple[CaseFindingRule, ...] = (*criteria_rules(CRITERIA), CG71_RECORD_SEARCH)
    advice_outcomes: tuple[str, ...] = OUTCOMES
    follow_up_actions: tuple[FollowUpActionDefinition, ...] = ACTIONS
    summary_model: type[LipidsSummary] = LipidsSummary
    settings_model: type[BaseModel] | None = None
    thresholds: Mapping[str, tuple[ThresholdBand, ...]] = field(default_factory=lambda: THRESHOLDS)

    def build_summary(self, record: ClinicalRecord, context: SummaryContext) -> LipidsSummary:
        facts = lipid_facts(record, context.today)
        # The series are the profile's, computed non-HDL and LDL included, not the record's reported results.
        series = {lipid.value: _points(facts.lipids.of(lipid)) for lipid in Lipid}
        criteria = [criterion_result(o) for o in c.referral_criteria(facts)]
        medicines = medicines_public(
            record.medications, lambda m: ["lipid-lowering"] if coded.is_lipid_lowering(m.name) else []
        )
        score = dlcn_score(facts)
        return LipidsSummary(
            **{
                **envelope(record, context, analytes=(), criteria=criteria, medications=medicines),
                "latest": {code: points[-1] if points else None for code, points in series.items()},
                "series": series,
            },
            dlcn_low=score.low,
            dlcn_high=score.high,
            cg71_search_match=c.cg71_search_matches(facts),
            computed={
                lipid.value: [r.day for r in facts.lipids.of(lipid) if r.origin is not Origin.REPORTED]
                for lipid in (Lipid.LDL, Lipid.NON_HDL)
            },
        )

    def case_findings(
        self, summary: s.SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        assert isinstance(summary, LipidsSummary)
        met = met_referral_criteria(summary)
        if not summary.cg71_search_match:
            return met
        # The facts build_summary read, on the same day, so the evidence is the summary's own reading.
        found = cg71_record_search(lipid_facts(record, context.today))
        return met + ((found,) if found else ())

    def highlights(self, summary: s.SpecialtySummary) -> tuple[s.Highlight, ...]:
        assert isinstance(summary, LipidsSummary)
        met = set(summary.criteria_met())

        def figure(label: str, lipid: Lipid, urgent: str, attention: str) -> s.Highlight:
            latest = summary.latest.get(lipid.value)
            flag: s.HighlightFlag = (
                "urgent" if urgent in met else "attention" if attention in met else "normal"
            )
            value = latest.value if latest else None
            return s.Highlight(label=label, value=value, unit=CANONICAL_UNIT, flag=flag if value else None)

        dlcn = (
            summary.dlcn_low
            if summary.dlcn_low == summary.dlcn_high
            else f"{summary.dlcn_low}-{summary.dlcn_high}"
        )
        return (
            figure("LDL", Lipid.LDL, "homozygous-fh-range", "secondary-prevention-above-target"),
            figure("Non-HDL", Lipid.NON_HDL, "", "non-hdl-over-7.5-or-tc-over-9"),
            figure("Triglycerides", Lipid.TRIGLYCERIDES, "tg-over-20-urgent", "tg-10-to-20-repeat"),
            s.Highlight(label="DLCN", value=dlcn, flag="attention" if "dlcn-over-5" in met else "normal"),
        )

    def letter_series(self, summary: s.SpecialtySummary) -> str | None:
        return Lipid.LDL.value if summary.series.get(Lipid.LDL.value) else Lipid.TOTAL_CHOLESTEROL.value


LIPIDS = Lipids()
