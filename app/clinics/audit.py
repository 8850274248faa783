"""Audit of a worklist read: one event per patient whose record it drew on, all written together.

A worklist shows figures from many patients' records in one response, so one event for the request would
hide whose records were seen. Each patient gets their own event, findable by their NHS number like any
other access; a row whose summary could not be built is recorded too, with the failure as its outcome.
The events go in one insert: either the whole read is on record, or none of it leaves the service.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import Request

from app.audit.service import AuditLog, AuditNote, Outcome
from app.auth.principal import Principal
from app.clinics.models import Clinic, ClinicEntry
from app.clinics.worklist import SummaryFailure, WorklistRow, WorklistSummaries
from app.core.errors import NotFound, ServiceUnavailable
from app.records.ports import UpstreamNotFound, UpstreamTimeout, UpstreamUnavailable
from app.specialties.registry import get_specialty

WORKLIST_PURPOSE = "clinic worklist"

log = logging.getLogger("vclinic.clinics")


def _outcome_of(failure: SummaryFailure | None) -> tuple[str, int]:
    """The outcome and status the summary route would have answered for the same failure."""
    if failure is None:
        return "success", 200
    if isinstance(failure, NotFound | UpstreamNotFound):
        return "not-found", 404
    if isinstance(failure, UpstreamTimeout):
        return "failed", 504
    if isinstance(failure, UpstreamUnavailable):
        return "failed", 503
    return "failed", 502


async def record_worklist_reads(
    audit_log: AuditLog,
    *,
    principal: Principal,
    route_note: AuditNote,
    rows: Sequence[WorklistRow],
    request_id: str,
) -> None:
    """Appends an event per row in one insert; raises ``ServiceUnavailable`` when they cannot be written."""
    outcomes = []
    for row in rows:
        outcome, status = _outcome_of(row.failure)
        note = AuditNote(purpose=WORKLIST_PURPOSE, action=route_note.action, nhs_number=row.entry.nhs_number)
        if row.entry.advice_request_id is None:
            note.consultant_initiated(row.entry.reason or "no reason recorded")
        outcomes.append(Outcome(note, outcome, status))
    try:
        async with audit_log.unit_of_work() as session:
            await audit_log.append_all(session, principal=principal, request_id=request_id, outcomes=outcomes)
    except Exception as exc:
        log.error("worklist audit events not written", extra={"error_type": type(exc).__name__})
        raise ServiceUnavailable("the worklist could not be audited, so it is not shown") from None
    # The patients' events stand for the request; the middleware need not add one without a patient.
    route_note.recorded = bool(rows)


async def audited_worklist_rows(
    request: Request, *, viewer: Principal, note: AuditNote, clinic: Clinic, entries: Sequence[ClinicEntry]
) -> list[WorklistRow]:
    """The list's rows from the app's worklist summaries, each patient's read on record before they are shown.

    The one step the API's worklist and the page share; the caller has released its database connection,
    as the practices may take seconds to answer.
    """
    summaries: WorklistSummaries = request.app.state.worklist_summaries
    rows = await summaries.rows(request.app.state.practices, get_specialty(clinic.specialty), entries)
    await record_worklist_reads(
        request.app.state.audit_log,
        principal=viewer,
        route_note=note,
        rows=rows,
        request_id=request.state.request_id,
    )
    return rows
