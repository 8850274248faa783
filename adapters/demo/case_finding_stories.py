"""Renal patients the practice's monthly searches find and no one has asked about yet.

Each story is one of the gaps the case-finding searches look for, and none meets a referral criterion, so
each shows one search on its own: CKD never coded, coded CKD whose blood tests stopped, albuminuria in
diabetes with no ACE inhibitor or ARB.
"""

from __future__ import annotations

from adapters.demo.stories import (
    AMLODIPINE,
    CKD_3B,
    HYPERTENSION,
    METFORMIN,
    RAMIPRIL,
    T2DM,
    Diagnosis,
    Drug,
    Story,
)

# fmt: off
CASE_FINDING_STORIES: tuple[Story, ...] = (
    Story("eGFR 53 then 48 over two years with nothing coded: unrecognised CKD G3a on the practice search.",
          "Nadia", "Rahman", "female", 67, ((2, 53), (0, 48)), acr=((2, 1.2), (0, 1.5)), bp=(136, 84),
          drugs=(Drug(AMLODIPINE, 5),), diagnoses=(Diagnosis(HYPERTENSION, 6),)),
    Story("CKD G3b coded, but the last eGFR (41) was twenty months ago: not monitored.", "Dennis", "Hart",
          "male", 76, ((5, 46), (1.7, 41)), acr=((5, 2), (1.7, 2.5)), last_tests=1.7,
          drugs=(Drug(RAMIPRIL, 6),), diagnoses=(Diagnosis(CKD_3B, 3), Diagnosis(HYPERTENSION, 10))),
    Story("Type 2 diabetes with ACR 12 and no ACE inhibitor or ARB: albuminuria untreated.", "Samuel", "Osei",
          "male", 58, ((4, 80), (0, 74)), acr=((4, 6), (0, 12)), hba1c=56, drugs=(Drug(METFORMIN, 5),),
          diagnoses=(Diagnosis(T2DM, 6),)),
)
# fmt: on
