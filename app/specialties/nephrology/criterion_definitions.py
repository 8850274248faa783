"""The NICE NG203 referral criteria as the renal clinic names them, and where each comes from."""

from __future__ import annotations

from app.specialties.base import CriterionDefinition

NG203 = "NICE NG203 (2021), 1.5.5"

NEPHROLOGY_CRITERIA = (
    CriterionDefinition("kfre-5y-over-5pct", "5-year kidney failure risk above 5%", NG203),
    CriterionDefinition("acr-70-or-more", "ACR 70 mg/mmol or more", NG203),
    CriterionDefinition("acr-over-30-with-haematuria", "ACR above 30 mg/mmol with haematuria", NG203),
    CriterionDefinition("egfr-decline-25pct", "Sustained fall in eGFR of 25% and a category change", NG203),
    CriterionDefinition("egfr-decline-15-per-year", "Sustained fall in eGFR of 15 or more a year", NG203),
    CriterionDefinition(
        "uncontrolled-hypertension-4-drugs", "Hypertension above target on 4 or more drugs", NG203
    ),
    CriterionDefinition("rare-or-genetic-cause", "Known or suspected rare or genetic cause of CKD", NG203),
    CriterionDefinition("renal-artery-stenosis", "Suspected renal artery stenosis", NG203),
)

TITLES: dict[str, str] = {criterion.code: criterion.title for criterion in NEPHROLOGY_CRITERIA}
"""Criterion code → the title a summary gives it."""
