"""CDS Hooks 2.0 routes: discovery, one ``patient-view`` service per specialty, and feedback on cards.

Every call is authenticated by the EHR's JWT before it reaches these routes
(``app.cds_hooks.middleware``) and audited as the access of the practice's clinical system, with the access
basis ``cds-hooks``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.routing import APIRoute

from app.audit.service import AuditLog, AuditNote
from app.auth.principal import Principal
from app.cds_hooks.discovery import CdsService
from app.cds_hooks.ehr_jwt import VerifiedEhrCall
from app.cds_hooks.feedback import keep_issued_card, record_feedback
from app.cds_hooks.service import advise
from app.cds_hooks.wiring import CdsHooks
from app.core.errors import NotFound, Unauthorised
from app.core.openapi import problem_responses
from schemas.api.cds_hooks import (
    CdsDiscovery,
    CdsFeedbackCreate,
    CdsFeedbackReceipt,
    CdsServiceRequest,
    CdsServiceResponse,
)

# The access rests on the practice's own clinical system asking, as the GP opens the patient's record.
CDS_HOOKS_ACCESS = "cds-hooks"

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])

# A service call, not its feedback: the prefetch may hold years of results, so it may be larger than other
# bodies; feedback stays under the general bound.
SERVICE_CALL_PATH = re.compile(r"/cds-services/[a-z0-9][a-z0-9-]{0,99}")


def service_call_body_bounds(max_call_bytes: int) -> list[tuple[re.Pattern[str], int]]:
    """The request limits' allowance for a service call, ``VCLINIC_CDS_MAX_BODY_BYTES``."""
    return [(SERVICE_CALL_PATH, max_call_bytes)]


ServiceIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", description="e.g. renal-advice")]


def _verified_call(request: Request) -> VerifiedEhrCall:
    call: VerifiedEhrCall | None = getattr(request.state, "cds_call", None)
    if call is None:
        raise Unauthorised("a CDS Hooks call needs the EHR's JWT as a bearer token")
    return call


CallDep = Annotated[VerifiedEhrCall, Depends(_verified_call)]


def cds_audited(purpose: str) -> Callable[..., Coroutine[Any, Any, AuditNote]]:
    """Marks the call for the audit log as the practice system's access through CDS Hooks."""

    async def dependency(request: Request, call: CallDep) -> AuditNote:
        route = request.scope.get("route")
        template = route.path if isinstance(route, APIRoute) else request.url.path
        note = AuditNote(
            purpose=purpose, action=f"{request.method} {template}", access_basis=CDS_HOOKS_ACCESS
        )
        note.access_reason = f"CDS client {call.client.name}"
        request.state.audit_note = note
        return note

    return dependency


def _hooks(request: Request) -> CdsHooks:
    hooks: CdsHooks = request.app.state.cds_hooks
    return hooks


def _service(request: Request, service_id: str) -> CdsService:
    service = _hooks(request).services.get(service_id)
    if service is None:
        raise NotFound(f"no CDS service {service_id!r}")
    return service


def _base_url(request: Request) -> str:
    return str(request.app.state.settings.public_base_url).rstrip("/")


async def _recorded(request: Request, note: AuditNote, write: Callable[..., Coroutine[Any, Any, Any]]) -> Any:
    """``write`` run in one transaction with the call's audit event."""
    audit_log: AuditLog = request.app.state.audit_log
    principal: Principal = request.state.principal
    async with audit_log.unit_of_work() as session:
        result = await write(session)
        await audit_log.append(
            session,
            principal=principal,
            note=note,
            outcome="success",
            status=200,
            request_id=request.state.request_id,
        )
    return result


@router.get(
    "", response_model=CdsDiscovery, response_model_exclude_none=True, responses=problem_responses(401, 503)
)
async def discover_cds_services(
    request: Request, _note: Annotated[AuditNote, Depends(cds_audited("discover CDS services"))]
) -> CdsDiscovery:
    """The CDS services on offer: one patient-view service per specialty, with its prefetch templates."""
    return CdsDiscovery(services=[service.describe() for service in _hooks(request).services.values()])


@router.post(
    "/{service_id}",
    response_model=CdsServiceResponse,
    response_model_exclude_none=True,
    responses=problem_responses(401, 404, 412, 413, 422, 502, 503, 504),
)
async def call_cds_service(
    request: Request,
    service_id: ServiceIdPath,
    body: CdsServiceRequest,
    call: CallDep,
    note: Annotated[AuditNote, Depends(cds_audited("advise through CDS Hooks"))],
) -> CdsServiceResponse:
    """Cards for the patient the GP has opened: the met referral criteria and case-finding rules."""
    service = _service(request, service_id)
    note.specialty = service.specialty.code
    note.access_reason = f"CDS client {call.client.name}, {body.hook} for {body.context.user_id}"
    now: datetime = request.app.state.clock()
    advice = await advise(
        service,
        body,
        client=call.client,
        fhir=_hooks(request).fhir,
        network=request.app.state.practices,
        specialty_settings=request.app.state.specialty_settings,
        now=now,
        base_url=_base_url(request),
    )
    note.nhs_number = advice.summary.patient.nhs_number
    issued = advice.card

    async def keep(session: Any) -> None:
        if issued is not None:
            await keep_issued_card(
                session,
                issued,
                service_id=service.id,
                specialty=service.specialty.code,
                practice_ods=call.client.ods,
                client=call.client.name,
                hook_instance=body.hook_instance,
                now=now,
            )

    await _recorded(request, note, keep)
    return CdsServiceResponse(cards=[issued.card] if issued is not None else [])


@router.post(
    "/{service_id}/feedback",
    response_model=CdsFeedbackReceipt,
    responses=problem_responses(401, 404, 409, 422, 503),
)
async def record_cds_feedback(
    request: Request,
    service_id: ServiceIdPath,
    body: CdsFeedbackCreate,
    call: CallDep,
    note: Annotated[AuditNote, Depends(cds_audited("record CDS card feedback"))],
) -> CdsFeedbackReceipt:
    """The GP's answers to cards: accepted, or overridden with a reason; a repeat changes nothing."""
    service = _service(request, service_id)
    note.specialty = service.specialty.code
    now: datetime = request.app.state.clock()

    async def store(session: Any) -> CdsFeedbackReceipt:
        return await record_feedback(
            session, body.feedback, service_id=service.id, practice_ods=call.client.ods, now=now
        )

    receipt: CdsFeedbackReceipt = await _recorded(request, note, store)
    return receipt
