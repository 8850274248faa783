"""Case-finding on the pages: the consultant's practice view and the practice's own register-quality view.

Every read and write goes through the services the case-finding API uses and is audited as it is. Putting a
selection of findings on a clinic's list leaves one event per patient, each resting on the finding that
found them, all in the transaction that adds them: either the whole selection is added and on record, or
none of it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from app.audit.service import AuditLog, AuditNote, Outcome
from app.auth.principal import Principal
from app.case_finding.models import CaseFindingRecord, CaseFindingRun, RunStatus
from app.case_finding.service import (
    add_finding_to_clinic,
    dismiss_finding,
    findings_page,
    found_rules,
    latest_run,
    practice_register,
    require_practice_access,
    require_run_access,
    start_run,
)
from app.clinics.public import clinic_public
from app.clinics.service import list_clinics
from app.core.cursors import CURSOR_MAX_LENGTH
from app.core.deps import AuditedSessionDep, SessionDep, audited
from app.core.errors import NotFound, Unprocessable
from app.core.params import record_id_path
from app.records.practices import PracticeConfig
from app.specialties.registry import SPECIALTIES
from app.web.csrf import CsrfChecked
from app.web.errors import PAGE_TAG
from app.web.session import ConsultantPageDep, GpPageDep
from app.web.templating import render
from schemas.api.case_finding import FindingDismissal, FindingToClinic, RunCreate
from schemas.api.clinics import ClinicStatus

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)

OdsPath = Annotated[str, Path(pattern=r"^[A-Z0-9]{3,10}$", description="The practice's ODS code")]
FindingId = Annotated[str, record_id_path("The finding's id")]
FINDINGS_PER_PAGE = 200
# A form's selection is bounded like a page of findings, so one submit cannot hold a clinic's row for long.
MAX_SELECTION = FINDINGS_PER_PAGE
ADD_PURPOSE = "add a case finding to a clinic"


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """One rule and the findings that meet it, each with the evidence for that rule."""

    code: str
    title: str
    coding_gap: bool
    findings: list[tuple[CaseFindingRecord, str]]


def grouped_by_rule(findings: Sequence[CaseFindingRecord]) -> list[RuleGroup]:
    """Coding gaps first, as the practice can fix those itself; then the rules in the order first found."""
    groups: dict[str, RuleGroup] = {}
    for finding in findings:
        for rule in finding.rules:
            code = str(rule["code"])
            group = groups.setdefault(
                code, RuleGroup(code, str(rule["title"]), bool(rule.get("coding_gap")), [])
            )
            group.findings.append((finding, str(rule["evidence"])))
    return sorted(groups.values(), key=lambda group: not group.coding_gap)


def _practice(request: Request, ods: str) -> PracticeConfig:
    practice: PracticeConfig | None = request.app.state.practices.practices.get(ods)
    if practice is None:
        raise NotFound(f"practice {ods} is not connected to this service")
    return practice


def searchable_practices(request: Request) -> list[tuple[str, PracticeConfig]]:
    """The practices that have agreed to population searches, for the consultant's navigation."""
    practices: dict[str, PracticeConfig] = request.app.state.practices.practices
    return sorted((ods, p) for ods, p in practices.items() if p.case_finding)


@router.get("/practices/{ods}/case-finding")
async def practice_view_page(
    request: Request,
    ods: OdsPath,
    note: Annotated[AuditNote, Depends(audited("read a case-finding run's findings"))],
    viewer: ConsultantPageDep,
    session: SessionDep,
    after: Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> Response:
    """The latest run's findings at the practice for the consultant's specialty, by rule with evidence."""
    specialty = str(viewer.specialty)
    require_run_access(viewer, ods, specialty)
    note.specialty = specialty
    practice = _practice(request, ods)
    current = await latest_run(session, ods, specialty)
    finished = await latest_run(session, ods, specialty, status=RunStatus.DONE)
    findings: Sequence[CaseFindingRecord] = []
    next_cursor = None
    if finished is not None:
        findings, next_cursor = await findings_page(session, finished, after=after, limit=FINDINGS_PER_PAGE)
    clinics = await list_clinics(session, viewer=viewer, status=ClinicStatus.OPEN, limit=50)
    context = {
        "viewer": viewer,
        "ods": ods,
        "practice": practice,
        "specialty": SPECIALTIES[specialty],
        "current": current,
        "finished": finished,
        "groups": grouped_by_rule(findings),
        "next_cursor": next_cursor,
        "clinics": [clinic_public(c) for c in sorted(clinics, key=lambda c: c.consultant_sub != viewer.sub)],
        "running": current is not None and current.status in (RunStatus.QUEUED, RunStatus.RUNNING),
    }
    return render(request, "practice_case_finding.html", context)


@router.post("/practices/{ods}/case-finding/runs", status_code=303)
async def start_run_page(
    request: Request,
    ods: OdsPath,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("start a case-finding run"))],
    viewer: ConsultantPageDep,
    session: AuditedSessionDep,
) -> Response:
    """Queues a run of the consultant's specialty over the practice as the API does, then shows its status."""
    submission = RunCreate(practice_ods=ods, specialty=str(viewer.specialty))
    note.specialty = submission.specialty
    run = await start_run(
        session,
        author=viewer,
        submission=submission,
        practices=request.app.state.practices.practices,
        now=request.app.state.clock(),
    )
    note.action = f"{note.action} run {run.id} of practice {run.practice_ods}"
    return RedirectResponse(f"/practices/{ods}/case-finding", status_code=303)


@router.post("/case-finding/add-to-clinic", status_code=303)
async def add_to_clinic_page(
    request: Request,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited(ADD_PURPOSE))],
    viewer: ConsultantPageDep,
    session: AuditedSessionDep,
    clinic_id: Annotated[str, Form(max_length=64)],
    finding: Annotated[list[str], Form(max_length=MAX_SELECTION)] = [],  # noqa: B006  (FastAPI copies it)
    only: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    """Puts one finding (its row's button) or every ticked finding on the chosen open clinic, as the API
    does, each audited as access resting on the finding; then shows the practice view again."""
    chosen = [only] if only else list(dict.fromkeys(finding))
    if not chosen:
        raise Unprocessable("tick the patients to add, or use a patient's own Add to clinic button")
    try:
        target = FindingToClinic(clinic_id=clinic_id)
    except ValidationError:
        raise Unprocessable("choose one of your open clinics") from None
    now = request.app.state.clock()
    outcomes = []
    practice_ods = ""
    for finding_id in chosen:
        added, _entry = await add_finding_to_clinic(
            session, viewer, finding_id, clinic_id=target.clinic_id, now=now
        )
        practice_ods = added.practice_ods
        event = AuditNote(
            purpose=ADD_PURPOSE, action=note.action, nhs_number=added.nhs_number, specialty=added.specialty
        )
        event.found_by_case_finding(found_rules(added)[:1000])
        outcomes.append(Outcome(event, "success", 303))
    await _record(request, session, viewer, outcomes, note)
    return RedirectResponse(f"/practices/{practice_ods}/case-finding", status_code=303)


async def _record(
    request: Request, session: AsyncSession, viewer: Principal, outcomes: list[Outcome], note: AuditNote
) -> None:
    """One event per patient added, in the transaction that adds them; they stand for the request's own."""
    audit_log: AuditLog = request.app.state.audit_log
    await audit_log.append_all(
        session, principal=viewer, request_id=request.state.request_id, outcomes=outcomes
    )
    note.recorded = True


@router.post("/case-finding/findings/{finding_id}/dismiss", status_code=303)
async def dismiss_page(
    finding_id: FindingId,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("dismiss a case finding"))],
    viewer: ConsultantPageDep,
    session: AuditedSessionDep,
    reason: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Dismisses a new finding with the reason given, as the API does, then shows the practice view again."""
    try:
        dismissal = FindingDismissal(reason=reason)
    except ValidationError:
        raise Unprocessable("give the reason the finding needs no action, in plain text") from None
    if not dismissal.reason.strip():
        raise Unprocessable("give the reason the finding needs no action")
    dismissed = await dismiss_finding(session, viewer, finding_id, reason=dismissal.reason)
    note.nhs_number, note.specialty = dismissed.nhs_number, dismissed.specialty
    return RedirectResponse(f"/practices/{dismissed.practice_ods}/case-finding", status_code=303)


@dataclass(frozen=True, slots=True)
class RegisterSection:
    """One specialty's searches at the practice: its latest run and the open findings it raised."""

    specialty: str
    title: str
    run: CaseFindingRun
    groups: list[RuleGroup]


@router.get("/practices/{ods}/register")
async def register_page(
    request: Request,
    ods: OdsPath,
    note: Annotated[AuditNote, Depends(audited("read the practice's case-finding register"))],
    viewer: GpPageDep,
    session: SessionDep,
) -> Response:
    """The practice's register-quality view for its own GPs: coding gaps first, then each specialty's."""
    require_practice_access(viewer, ods)
    register = await practice_register(session, ods, limit=FINDINGS_PER_PAGE)
    sections = [
        RegisterSection(run.specialty, SPECIALTIES[run.specialty].title, run, grouped_by_rule(findings))
        for run, findings in register
    ]
    coding_gaps = [(section, group) for section in sections for group in section.groups if group.coding_gap]
    context = {
        "viewer": viewer,
        "ods": ods,
        "practice": _practice(request, ods),
        "coding_gaps": coding_gaps,
        "sections": sections,
    }
    return render(request, "practice_register.html", context)
