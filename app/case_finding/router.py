"""The case-finding API: start a run over a practice's population, follow it, read and act on its findings.

A run is queued here and run by a worker (``vclinic worker``). Importing this module registers the
relationship a finding put on a clinic's list gives: reads resting on it are audited as case-finding access.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.access.relationships import register_relationship_source
from app.audit.service import AuditNote
from app.case_finding.models import CaseFindingRecord, CaseFindingRun
from app.case_finding.service import (
    FOUND_IN_SPECIALTY,
    add_finding_to_clinic,
    cancel_run,
    dismiss_finding,
    findings_page,
    found_rules,
    practice_register,
    require_practice_access,
    run_for,
    start_run,
)
from app.core.cursors import CURSOR_MAX_LENGTH
from app.core.deps import AuditedSessionDep, PrincipalDep, SessionDep, audited
from app.core.openapi import problem_responses
from app.core.params import record_id_path
from schemas.api.case_finding import (
    FindingDismissal,
    FindingPublic,
    FindingRule,
    FindingsPage,
    FindingToClinic,
    PracticeCaseFindings,
    RunAccepted,
    RunCreate,
    RunPublic,
    SpecialtyRegister,
)

router = APIRouter(prefix="/v1/case-finding", tags=["case-finding"])
practice_router = APIRouter(prefix="/v1/practices", tags=["case-finding"])

register_relationship_source(FOUND_IN_SPECIALTY)

RunId = Annotated[str, record_id_path("The case-finding run's id")]
FindingId = Annotated[str, record_id_path("The finding's id")]
_LOCATION = {"Location": {"description": "The run, to poll", "schema": {"type": "string"}}}


def run_public(run: CaseFindingRun) -> RunPublic:
    return RunPublic.model_validate(run, from_attributes=True)


def finding_public(finding: CaseFindingRecord) -> FindingPublic:
    return FindingPublic(
        id=finding.id,
        nhs_number=finding.nhs_number,
        name=finding.name,
        status=finding.status,
        rules=[
            FindingRule(
                code=rule["code"],
                title=rule["title"],
                evidence=rule["evidence"],
                coding_gap=bool(rule.get("coding_gap")),
            )
            for rule in finding.rules
        ],
    )


@router.post(
    "/runs",
    status_code=202,
    response_model=RunAccepted,
    responses={202: {"headers": _LOCATION}, **problem_responses(401, 403, 404, 409, 415, 422, 503)},
)
async def start_case_finding_run(
    request: Request,
    response: Response,
    submission: RunCreate,
    note: Annotated[AuditNote, Depends(audited("start a case-finding run"))],
    author: PrincipalDep,
    session: AuditedSessionDep,
) -> RunAccepted:
    """Queue a run of the specialty's case-finding rules over the practice's population (or answer with the
    run already queued or running); its consultants, admins and the practice's own users may."""
    note.specialty = submission.specialty
    run = await start_run(
        session,
        author=author,
        submission=submission,
        practices=request.app.state.practices.practices,
        now=request.app.state.clock(),
    )
    note.action = f"{note.action} run {run.id} of practice {run.practice_ods}"
    response.headers["Location"] = f"/v1/case-finding/runs/{run.id}"
    return RunAccepted(id=run.id, status=run.status)


@router.get("/runs/{run_id}", response_model=RunPublic, responses=problem_responses(401, 403, 404, 422, 503))
async def read_case_finding_run(
    run_id: RunId,
    note: Annotated[AuditNote, Depends(audited("read a case-finding run"))],
    viewer: PrincipalDep,
    session: SessionDep,
) -> RunPublic:
    """The run's status, how many patients it has scanned, what it found, its timings and any error."""
    run = await run_for(session, viewer, run_id)
    note.specialty = run.specialty
    return run_public(run)


@router.get(
    "/runs/{run_id}/findings",
    response_model=FindingsPage,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def read_case_finding_run_findings(
    run_id: RunId,
    note: Annotated[AuditNote, Depends(audited("read a case-finding run's findings"))],
    viewer: PrincipalDep,
    session: SessionDep,
    after: Annotated[
        str | None, Query(max_length=CURSOR_MAX_LENGTH, description="The `next_cursor` of the page before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> FindingsPage:
    """The patients the run found, with each rule they meet and its evidence, a page at a time."""
    run = await run_for(session, viewer, run_id)
    note.specialty = run.specialty
    page, next_cursor = await findings_page(session, run, after=after, limit=limit)
    return FindingsPage(items=[finding_public(f) for f in page], next_cursor=next_cursor)


@router.post(
    "/runs/{run_id}/cancel", response_model=RunPublic, responses=problem_responses(401, 403, 404, 422, 503)
)
async def cancel_case_finding_run(
    request: Request,
    run_id: RunId,
    note: Annotated[AuditNote, Depends(audited("cancel a case-finding run"))],
    author: PrincipalDep,
    session: AuditedSessionDep,
) -> RunPublic:
    """Cancel a queued or running run; its export is abandoned upstream. An ended run is answered as it is."""
    run = await cancel_run(session, author, run_id, now=request.app.state.clock())
    note.specialty = run.specialty
    return run_public(run)


@router.post(
    "/findings/{finding_id}/dismiss",
    response_model=FindingPublic,
    responses=problem_responses(401, 403, 404, 409, 415, 422, 503),
)
async def dismiss_case_finding(
    finding_id: FindingId,
    submission: FindingDismissal,
    note: Annotated[AuditNote, Depends(audited("dismiss a case finding"))],
    author: PrincipalDep,
    session: AuditedSessionDep,
) -> FindingPublic:
    """Dismiss a new finding with a reason: later runs raise it again only if it grows more severe."""
    finding = await dismiss_finding(session, author, finding_id, reason=submission.reason)
    note.nhs_number, note.specialty = finding.nhs_number, finding.specialty
    return finding_public(finding)


@router.post(
    "/findings/{finding_id}/add-to-clinic",
    response_model=FindingPublic,
    responses=problem_responses(401, 403, 404, 409, 415, 422, 503),
)
async def add_case_finding_to_clinic(
    request: Request,
    finding_id: FindingId,
    submission: FindingToClinic,
    note: Annotated[AuditNote, Depends(audited("add a case finding to a clinic"))],
    author: PrincipalDep,
    session: AuditedSessionDep,
) -> FindingPublic:
    """Put the finding's patient on an open clinic of its specialty (its consultants and admins). The entry
    rests on the finding, not on the consultant's own word: the audit says so, naming the rules found."""
    finding, _entry = await add_finding_to_clinic(
        session, author, finding_id, clinic_id=submission.clinic_id, now=request.app.state.clock()
    )
    note.nhs_number, note.specialty = finding.nhs_number, finding.specialty
    note.found_by_case_finding(found_rules(finding)[:1000])
    return finding_public(finding)


@practice_router.get(
    "/{ods}/case-findings",
    response_model=PracticeCaseFindings,
    responses=problem_responses(401, 403, 422, 503),
)
async def read_practice_case_findings(
    ods: Annotated[str, Path(pattern=r"^[A-Z0-9]{3,10}$", description="The practice's ODS code")],
    note: Annotated[AuditNote, Depends(audited("read the practice's case-finding register"))],
    viewer: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=2000, description="Findings per specialty at most")] = 500,
) -> PracticeCaseFindings:
    """The practice's register view: per specialty, the latest run and its open findings, coding gaps
    first (the list the practice can fix itself). The practice's own users and admins."""
    require_practice_access(viewer, ods)
    register = await practice_register(session, ods, limit=limit)
    return PracticeCaseFindings(
        practice_ods=ods,
        specialties=[
            SpecialtyRegister(
                specialty=run.specialty,
                latest_run=run_public(run),
                findings=[finding_public(f) for f in findings],
            )
            for run, findings in register
        ],
    )
