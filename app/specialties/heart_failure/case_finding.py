"""Heart-failure case-finding: NCL ICB's search ICB_CF_HF_61, run per patient.

The summary's ``case_finding`` says whether the search finds the patient; the evidence is read from the same
facts, through the same rules, and names the route: a raised NT-proBNP, heart-failure medicines, or both.
"""

from __future__ import annotations

from app.specialties.base import CaseFinding
from app.specialties.heart_failure import rules as r

SUSPECTED_HEART_FAILURE_NOT_CODED = r.FOLDER.case_finding_rule("suspected-hf-not-coded")


def suspected_heart_failure(facts: r.HeartFailureFacts) -> CaseFinding | None:
    """The search's finding: worst with an NT-proBNP above 2000, then above 400, then medicines alone."""
    if not r.case_finding(facts):
        return None
    raised, medicines = r.latest_ntprobnp_above_400(facts), r.heart_failure_medicines(facts)
    routes = [f"latest NT-proBNP {r.shown(raised)} is above 400 ng/L"] if raised else []
    routes += ["heart-failure medicines issued in 3 months: " + "; ".join(medicines)] if medicines else []
    # NICE NG106 1.2.4's two-week band is the most urgent; a raised peptide outranks a medicine alone.
    severity = 1 if raised is None else 3 if r.reading_band(raised) == "two-week" else 2
    rule, evidence = (
        SUSPECTED_HEART_FAILURE_NOT_CODED,
        "; ".join(routes) + "; no heart-failure diagnosis coded",
    )
    return CaseFinding(rule.code, rule.title, evidence, severity=severity, coding_gap=rule.coding_gap)
