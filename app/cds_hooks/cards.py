"""A card from a specialty's summary: the rules it met, never rules of its own.

The card reads the summary ``build_summary`` made and the findings ``case_findings`` read from it, as
case-finding does, so the card, the summary and the practice's register say the same thing in the same
words. Urgency follows the criteria: ``critical`` when a met criterion's pathway is two weeks, ``warning``
when any referral criterion is met, ``info`` when only a case-finding rule (a coding gap, an unmonitored
condition) applies. No rule met, no card.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode

from app.cds_hooks.discovery import CdsService
from app.specialties.base import CaseFinding
from schemas.api.cds_hooks import Card, CardLink, CardSource, CdsCoding, Suggestion, SuggestionAction
from schemas.api.summary import CriterionResult, CriterionStatus, SpecialtySummary

Indicator = Literal["info", "warning", "critical"]
TWO_WEEK = "two-week"
SUMMARY_LIMIT = 139
TOPIC_SYSTEM = "https://vclinic.nhs.example/fhir/CodeSystem/specialty"
OVERRIDE_SYSTEM = "https://vclinic.nhs.example/fhir/CodeSystem/cds-override-reason"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


@dataclass(frozen=True, slots=True)
class IssuedCard:
    """The card and the rule codes behind it, kept so feedback on the card counts for those rules."""

    card: Card
    rule_codes: tuple[str, ...]


def override_reasons(service: CdsService) -> list[CdsCoding]:
    return [
        CdsCoding(
            system=OVERRIDE_SYSTEM,
            code="already-under-specialty",
            display=f"Already under the {service.advice_name} team",
        ),
        CdsCoding(
            system=OVERRIDE_SYSTEM, code="acute-illness-will-repeat", display="Acute illness — will repeat"
        ),
        CdsCoding(
            system=OVERRIDE_SYSTEM, code="advice-already-requested", display="Advice already requested"
        ),
        CdsCoding(system=OVERRIDE_SYSTEM, code="patient-declines", display="Patient declines"),
        CdsCoding(system=OVERRIDE_SYSTEM, code="not-clinically-relevant", display="Not clinically relevant"),
    ]


def indicator_for(met: Sequence[CriterionResult]) -> Indicator:
    if any(criterion.urgency == TWO_WEEK for criterion in met):
        return "critical"
    return "warning" if met else "info"


def card_for(
    service: CdsService,
    summary: SpecialtySummary,
    findings: Sequence[CaseFinding],
    *,
    patient_id: str,
    base_url: str,
    practice_ods: str,
) -> IssuedCard | None:
    """The service's card for the patient, or None when no rule applies; its first link opens the calling
    practice's advice request form filled in with the patient and the specialty."""
    if not findings:
        return None
    met = [c for c in summary.referral_criteria if c.status is CriterionStatus.MET]
    met_codes = {c.code for c in met}
    # The most urgent met criterion leads: two-week pathways first, then the summary's own order.
    lead = sorted(met, key=lambda c: c.urgency != TWO_WEEK)[0].title if met else findings[0].title
    card = Card(
        uuid=str(uuid.uuid4()),
        summary=_summary_line(lead, service, len(findings) - 1),
        detail=_detail(service, met, [f for f in findings if f.code not in met_codes]),
        indicator=indicator_for(met),
        source=CardSource(
            label=f"Virtual Clinic: {service.specialty.title}",
            url=f"{base_url}/docs",
            topic=CdsCoding(
                system=TOPIC_SYSTEM, code=service.specialty.code, display=service.specialty.title
            ),
        ),
        suggestions=[_ask_for_advice(service, patient_id, findings)],
        selection_behavior="at-most-one",
        override_reasons=override_reasons(service),
        links=[
            CardLink(
                label=f"Ask the {service.advice_name} team for advice",
                url=_ask_link(base_url, practice_ods, summary.patient.nhs_number, service.specialty.code),
                type="absolute",
            ),
            CardLink(
                label=f"Open the {service.specialty.title.lower()} summary",
                url=f"{base_url}/v1/patients/{summary.patient.nhs_number}/summaries/{service.specialty.code}",
                type="absolute",
            ),
        ],
    )
    return IssuedCard(card, tuple(f.code for f in findings))


def _ask_link(base_url: str, practice_ods: str, nhs_number: str, specialty: str) -> str:
    """The practice page's new-request form for this patient and specialty (the GP signs in there)."""
    query = urlencode({"nhs_number": nhs_number, "specialty": specialty})
    return f"{base_url}/practices/{quote(practice_ods, safe='')}/advice-requests/new?{query}"


def _summary_line(lead: str, service: CdsService, others: int) -> str:
    tail = f" — consider {service.advice_name} advice" + (f" (+{others} more)" if others else "")
    room = SUMMARY_LIMIT - len(tail)
    return (lead if len(lead) <= room else lead[: room - 1].rstrip() + "…") + tail


def markdown_text(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _detail(service: CdsService, met: Sequence[CriterionResult], others: Sequence[CaseFinding]) -> str:
    lines: list[str] = []
    if met:
        lines.append(f"**{service.specialty.title} referral criteria met**, as the summary reads the record:")
        lines.append("")
        for criterion in met:
            urgency = f" *({markdown_text(criterion.urgency)} pathway)*" if criterion.urgency else ""
            title, evidence = markdown_text(criterion.title), markdown_text(criterion.evidence)
            lines.append(f"- **{title}**{urgency} (`{criterion.code}`): {evidence}")
    if others:
        if lines:
            lines.append("")
        lines.append("**Found by the practice searches:**")
        lines.append("")
        for finding in others:
            lines.append(
                f"- **{markdown_text(finding.title)}** (`{finding.code}`): {markdown_text(finding.evidence)}"
            )
    lines.append("")
    lines.append(
        f"A {service.advice_name} consultant can advise without a referral through the virtual clinic."
    )
    return "\n".join(lines)


def _ask_for_advice(service: CdsService, patient_id: str, findings: Sequence[CaseFinding]) -> Suggestion:
    """A draft advice-and-guidance request in the EHR, naming the rules met, for the GP to complete."""
    reasons = [{"text": finding.title} for finding in findings]
    return Suggestion(
        label=f"Ask for {service.advice_name} advice",
        uuid=str(uuid.uuid4()),
        is_recommended=True,
        actions=[
            SuggestionAction(
                type="create",
                description=f"Draft a request for {service.advice_name} advice (virtual clinic)",
                resource={
                    "resourceType": "ServiceRequest",
                    "status": "draft",
                    "intent": "proposal",
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "code": {"text": f"{service.specialty.title} advice and guidance"},
                    "reasonCode": reasons,
                },
            )
        ],
    )
