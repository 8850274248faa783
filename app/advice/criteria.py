"""The specialty's referral criteria, evaluated from the GP record when a practice asks for advice.

A request is inside the criteria when the patient meets at least one, and outside when their record was read
and meets none: then the practice must say why it asks (``outside_criteria_reason``), as specialties ask of
referrals made outside their criteria. The criteria are the specialty's own rules, evaluated by the shared
summary step (``app.specialties.service``) through the app's record cache, so the request, the summary and the
worklist agree on them. An unreadable record never loses a request: its criteria are stored as unknown (null).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from app.audit.service import AuditLog, AuditNote, Outcome
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound, ServiceUnavailable, Unprocessable, upstream_status
from app.records.cache import RecordCache, record_cache
from app.records.ports import UpstreamError
from app.records.service import registered_practice
from app.records.wiring import PracticeNetwork
from app.specialties.base import Specialty
from app.specialties.registry import SPECIALTIES
from app.specialties.service import build_summary_for
from app.specialties.settings import SpecialtySettings
from schemas.api.advice import AdviceRequestCreate
from schemas.api.summary import SpecialtySummary

log = logging.getLogger("vclinic.advice")

CRITERIA_PURPOSE = "check referral criteria for an advice request"


@dataclass(frozen=True, slots=True)
class CriteriaAssessment:
    """The codes of the criteria met, or None when unknown; and how the record read ended, for the audit."""

    met: list[str] | None
    outcome: str = "success"
    status: int = 200


def known_specialty(code: str) -> Specialty:
    specialty = SPECIALTIES.get(code)
    if specialty is None:
        raise Unprocessable(f"no specialty {code!r}; available: {', '.join(sorted(SPECIALTIES))}")
    return specialty


async def assess_referral_criteria(
    *,
    network: PracticeNetwork,
    specialty: Specialty,
    nhs_number: str,
    now: datetime,
    specialty_settings: SpecialtySettings,
    records: RecordCache | None = None,
) -> CriteriaAssessment:
    """The criteria the patient meets, from the record read within the network's upstream deadline.

    A failure to read the record, or a record read in part that meets none (the missing part may hold the
    evidence), leaves the criteria unknown. A criterion lacking data counts as not met: the patient does
    not meet it as far as their record shows.
    """
    if not specialty.referral_criteria:
        return CriteriaAssessment(met=None, outcome="not-evaluated", status=200)
    try:
        summary = await build_summary_for(
            network=network,
            specialty=specialty,
            nhs_number=nhs_number,
            now=now,
            specialty_settings=specialty_settings,
            records=records,
        )
    except UpstreamError as failure:
        status = upstream_status(failure)
        return CriteriaAssessment(met=None, outcome="not-found" if status == 404 else "failed", status=status)
    except NotFound:
        return CriteriaAssessment(met=None, outcome="not-found", status=404)
    return CriteriaAssessment(met=criteria_met_in(specialty, summary))


def criteria_met_in(specialty: Specialty, summary: SpecialtySummary) -> list[str] | None:
    """The codes of the criteria a summary meets, or None when it cannot say: the specialty defines none,
    or the record was read in part and meets none (the missing part may hold the evidence)."""
    if not specialty.referral_criteria:
        return None
    met = summary.criteria_met()
    if not met and not summary.complete:
        return None
    return met


def require_reason_outside_criteria(
    specialty: str, criteria_met: list[str] | None, submission: AdviceRequestCreate
) -> None:
    """Refuses a request outside every criterion that says nothing of why it is made."""
    if criteria_met == [] and submission.outside_criteria_reason is None:
        raise Unprocessable(
            f"the patient's GP record meets none of the {specialty} referral criteria; give "
            "outside_criteria_reason to say why advice is needed",
            criteria_met=[],
        )


async def criteria_at_submission(
    request: Request, *, author: Principal, submission: AdviceRequestCreate
) -> list[str] | None:
    """The criteria for the route: the patient placed at the author's practice before their record is read,
    and the read audited like a summary read, in its own transaction, whatever becomes of the request.

    Runs with no database connection held: the practice may take the whole upstream deadline to answer.
    Raises ``Unprocessable`` for an unknown specialty, ``NotFound`` for a patient no practice registers,
    ``Forbidden`` for another practice's patient and ``ServiceUnavailable`` when the read cannot be audited.
    """
    specialty = known_specialty(submission.specialty)
    network: PracticeNetwork = request.app.state.practices
    if await registered_practice(network, submission.nhs_number) != author.ods:
        raise Forbidden("the patient is not registered at your practice")
    assessment = await assess_referral_criteria(
        network=network,
        specialty=specialty,
        nhs_number=submission.nhs_number,
        now=request.app.state.clock(),
        specialty_settings=request.app.state.specialty_settings,
        records=record_cache(request.app),
    )
    if assessment.outcome != "not-evaluated":
        await _record_the_read(request, author=author, submission=submission, assessment=assessment)
    return assessment.met


async def _record_the_read(
    request: Request, *, author: Principal, submission: AdviceRequestCreate, assessment: CriteriaAssessment
) -> None:
    audit_log: AuditLog = request.app.state.audit_log
    note = AuditNote(
        purpose=CRITERIA_PURPOSE,
        action=f"{request.method} {request.url.path}",
        nhs_number=submission.nhs_number,
        specialty=submission.specialty,
    )
    try:
        async with audit_log.unit_of_work() as session:
            await audit_log.append_all(
                session,
                principal=author,
                request_id=request.state.request_id,
                outcomes=[Outcome(note, assessment.outcome, assessment.status)],
            )
    except Exception as exc:
        log.error("referral criteria read not audited", extra={"error_type": type(exc).__name__})
        raise ServiceUnavailable("the read of the GP record could not be audited; try again") from None
