"""What a consultant may decide for a lipid referral, and the actions the practice can be asked to take."""

from __future__ import annotations

from app.specialties.base import CriterionDefinition, FollowUpActionDefinition
from app.specialties.lipids.criteria import TITLES

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

LIPID_CRITERIA = tuple(CriterionDefinition(code, title, _SOURCES[code]) for code, title in TITLES.items())

ADVICE_OUTCOMES = (
    "return-with-advice",
    "further-information-required",
    "refer-fh-service",
    "urgent-lipid-review",
    "converted-to-referral",
)

_Action = FollowUpActionDefinition

LIPID_ACTIONS = (
    _Action("repeat-fasting-triglyceride", "Repeat fasting triglyceride in 5 to 14 days", 14),
    _Action("urgent-lipid-specialist-review", "Arrange urgent lipid specialist review", 2),
    _Action("exclude-secondary-causes", "Check TSH, HbA1c, LFTs, U&E and urine protein", 28),
    _Action("repeat-ldl-to-confirm", "Repeat LDL cholesterol to confirm (two measurements)", 28),
    _Action("refer-fh-dna-testing", "Refer to the FH service for DNA testing", 28),
    _Action("record-family-history", "Record family history of premature CHD and high cholesterol", 28),
    _Action("start-high-intensity-statin", "Start or increase a high-intensity statin", 28),
    _Action("add-ezetimibe", "Add ezetimibe", 28),
    _Action("repeat-lipids-3-months", "Repeat full lipid profile in 3 months", 90),
    _Action("annual-lipid-review", "Annual lipid profile and adherence review", 365),
    _Action("cascade-testing", "Offer cascade testing to first-degree relatives", 90),
)
