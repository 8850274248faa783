"""Attachments through the API: the practice sends a file as the raw request body, and both sides read it.

``POST /v1/advice-requests/{id}/attachments`` takes the file's bytes as the body with ``Content-Type``
application/pdf, image/png or image/jpeg (the bytes must agree), the file's name as ``?filename=``, and an
``Idempotency-Key`` like every write. A raw body rather than multipart: one file per call, nothing to parse,
and a retry is the same bytes. The practice that asked and the consultants of the request's specialty may
list and read them; nobody else, admins included, since a file can hold anything about the patient.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.advice.access import visible_request
from app.advice.idempotency import (
    IDEMPOTENT_WRITE_OPENAPI,
    REPLAYED_HEADER,
    IdempotentWriteDep,
    replay_if_seen,
    respond_once,
)
from app.attachments.kinds import ACCEPTED_TYPES
from app.attachments.scanning import VirusScanner
from app.attachments.service import (
    AttachmentUpload,
    add_attachment,
    attachment_of,
    attachment_public,
    attachments_of,
)
from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.core.deps import AuditedSessionDep, SessionDep, audited, require_roles
from app.core.openapi import problem_responses
from app.core.params import AdviceRequestIdPath, record_id_path
from schemas.api.attachments import AttachmentPublic

router = APIRouter(prefix="/v1", tags=["attachments"])

PracticeDep = Annotated[Principal, Depends(require_roles(Role.GP, Role.GP_SYSTEM))]
ParticipantDep = Annotated[Principal, Depends(require_roles(Role.GP, Role.GP_SYSTEM, Role.CONSULTANT))]
AttachmentIdPath = Annotated[str, record_id_path("The attachment's id")]

_FILE_SCHEMA = {"schema": {"type": "string", "format": "binary"}}
_UPLOAD_OPENAPI: dict[str, Any] = {
    **IDEMPOTENT_WRITE_OPENAPI,
    "requestBody": {
        "required": True,
        "description": "The file's bytes; the Content-Type must be the type the bytes show",
        "content": {kind: _FILE_SCHEMA for kind in ACCEPTED_TYPES},
    },
}
_LOCATION = {"description": "The new attachment", "schema": {"type": "string"}}
_REPLAYED = {"description": "true when this answers an earlier write with the same key", "schema": {}}


_UNSAFE_IN_HEADER = re.compile(r"[^A-Za-z0-9._-]")


def content_disposition(filename: str) -> str:
    """Saved under its own name: plain ASCII for old clients, the exact name as RFC 6266's filename*."""
    plain = _UNSAFE_IN_HEADER.sub("_", filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


def virus_scanner(request: Request) -> VirusScanner:
    scanner: VirusScanner = request.app.state.virus_scanner
    return scanner


VirusScannerDep = Annotated[VirusScanner, Depends(virus_scanner)]


@router.post(
    "/advice-requests/{advice_request_id}/attachments",
    status_code=201,
    response_model=AttachmentPublic,
    responses={
        201: {"headers": {"Location": _LOCATION, REPLAYED_HEADER: _REPLAYED}},
        **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 503),
    },
    openapi_extra=_UPLOAD_OPENAPI,
)
async def attach_file(
    request: Request,
    advice_request_id: AdviceRequestIdPath,
    note: Annotated[AuditNote, Depends(audited("attach a file to an advice request"))],
    practice: PracticeDep,
    write: IdempotentWriteDep,
    scanner: VirusScannerDep,
    session: AuditedSessionDep,
    filename: Annotated[str | None, Query(max_length=200, description="The file's name")] = None,
) -> Response:
    """Attach a PDF, PNG or JPEG to the practice's own request: 413 too large, 415 another type."""
    advice_request = await visible_request(session, practice, advice_request_id, for_update=True)
    note.nhs_number = advice_request.nhs_number
    if (replay := await replay_if_seen(session, write)) is not None:
        return replay
    upload = AttachmentUpload(filename, request.headers.get("content-type"), await request.body())
    attachment = await add_attachment(
        session,
        advice_request=advice_request,
        author=practice,
        upload=upload,
        scanner=scanner,
        max_bytes=request.app.state.settings.attachment_max_bytes,
    )
    location = f"/v1/advice-requests/{advice_request.id}/attachments/{attachment.id}"
    body = attachment_public(attachment)
    return await respond_once(session, write, status=201, body=body, headers={"Location": location})


@router.get(
    "/advice-requests/{advice_request_id}/attachments",
    response_model=list[AttachmentPublic],
    responses=problem_responses(401, 403, 404, 503),
)
async def list_attachments(
    advice_request_id: AdviceRequestIdPath,
    note: Annotated[AuditNote, Depends(audited("list an advice request's attachments"))],
    viewer: ParticipantDep,
    session: SessionDep,
) -> list[AttachmentPublic]:
    """The request's attachments, in the order added, without their contents."""
    advice_request = await visible_request(session, viewer, advice_request_id)
    note.nhs_number = advice_request.nhs_number
    return [attachment_public(a) for a in await attachments_of(session, advice_request.id)]


@router.get(
    "/advice-requests/{advice_request_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {"description": "The file", "content": {kind: _FILE_SCHEMA for kind in ACCEPTED_TYPES}},
        **problem_responses(401, 403, 404, 503),
    },
)
async def read_attachment(
    advice_request_id: AdviceRequestIdPath,
    attachment_id: AttachmentIdPath,
    note: Annotated[AuditNote, Depends(audited("read an advice request's attachment"))],
    viewer: ParticipantDep,
    session: SessionDep,
) -> Response:
    """The file itself, for the practice that asked and the consultants of the request's specialty."""
    advice_request = await visible_request(session, viewer, advice_request_id)
    note.nhs_number = advice_request.nhs_number
    attachment = await attachment_of(session, advice_request.id, attachment_id)
    headers = {
        # Saved rather than shown inline, and sandboxed should a browser show it anyway.
        "Content-Disposition": content_disposition(attachment.filename),
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    return Response(attachment.content, media_type=attachment.content_type, headers=headers)


# A file's bytes, with room for nothing else: the body is the file.
UPLOAD_PATH = re.compile(r"/v1/advice-requests/[A-Za-z0-9_-]{1,64}/attachments")


def upload_body_bounds(max_attachment_bytes: int) -> list[tuple[re.Pattern[str], int]]:
    """The request limits' allowance for an upload, which may be larger than other bodies."""
    return [(UPLOAD_PATH, max_attachment_bytes)]
