"""Adding an attachment to an advice request, and finding attachments for those who may see them.

The checks run cheapest first: the size, then the type the bytes show against the type declared, then the
virus scan, and only a file that passes all three is stored. Functions flush; the caller commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import col

from app.advice.models import AdviceRequest
from app.advice.service import as_utc, utcnow
from app.attachments.kinds import ACCEPTED_TYPES, EXTENSIONS, declared_type, detected_type
from app.attachments.models import AdviceAttachment
from app.attachments.scanning import ScanVerdict, VirusScanner
from app.auth.principal import Principal
from app.core.errors import Conflict, Forbidden, NotFound, ProblemError
from schemas.api.advice import AdviceStatus
from schemas.api.attachments import AttachmentPublic
from schemas.text import unwritable_character

# Enough for a letter, results and a few photographs; a bound, so one request cannot fill the database.
MAX_ATTACHMENTS_PER_REQUEST = 10
FILENAME_MAX_LENGTH = 200
# The practice may add files while the consultant has yet to answer, and with the information asked for.
OPEN_FOR_ATTACHMENTS = frozenset({AdviceStatus.AWAITING_REVIEW, AdviceStatus.AWAITING_GP_INFORMATION})


class AttachmentTooLarge(ProblemError):
    status, title, kind = 413, "Attachment too large", "attachment-too-large"


class UnsupportedAttachment(ProblemError):
    status, title, kind = 415, "Unsupported attachment", "unsupported-attachment"


class AttachmentInfected(ProblemError):
    status, title, kind = 422, "Attachment refused by the virus scan", "attachment-infected"


class AttachmentScanFailed(ProblemError):
    status, title, kind = 503, "Attachment could not be scanned", "attachment-scan-failed"


@dataclass(frozen=True, slots=True)
class AttachmentUpload:
    """A file as it arrived: the name and type its sender gave, and its bytes."""

    filename: str | None
    content_type: str | None
    content: bytes


def checked_type(upload: AttachmentUpload, *, max_bytes: int) -> str:
    """The file's type, once its size and its bytes agree with what it claims to be; else 413 or 415."""
    if len(upload.content) > max_bytes:
        raise AttachmentTooLarge(f"the attachment is larger than the {max_bytes} bytes accepted")
    found = detected_type(upload.content)
    if found is None:
        raise UnsupportedAttachment(
            f"attach a PDF, PNG or JPEG file; this file's content is none of them "
            f"(accepted: {', '.join(ACCEPTED_TYPES)})"
        )
    declared = declared_type(upload.content_type)
    # A browser sends what the operating system guessed from the name; an empty or generic type is no claim.
    if declared not in ("", "application/octet-stream", found):
        raise UnsupportedAttachment(f"the file was sent as {declared[:64]} but its content is {found}")
    return found


async def scan(scanner: VirusScanner, content: bytes) -> None:
    verdict = await scanner.scan(content)
    if verdict is ScanVerdict.INFECTED:
        raise AttachmentInfected("the virus scan found the file infected; it was not attached")
    if verdict is ScanVerdict.FAILED:
        raise AttachmentScanFailed(
            "the file could not be checked for viruses, so it was not attached; try again shortly"
        )


def _filename(given: str | None, attachment_id: str, content_type: str) -> str:
    """The sender's name for the file, without any path, or one made up when it is unusable."""
    name = (given or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or len(name) > FILENAME_MAX_LENGTH or unwritable_character(name) is not None:
        return f"attachment-{attachment_id[:8]}{EXTENSIONS[content_type]}"
    return name


async def _count(session: AsyncSession, advice_request_id: str) -> int:
    query = select(func.count()).where(col(AdviceAttachment.advice_request_id) == advice_request_id)
    return int((await session.execute(query)).scalar_one())


async def add_attachment(
    session: AsyncSession,
    *,
    advice_request: AdviceRequest,
    author: Principal,
    upload: AttachmentUpload,
    scanner: VirusScanner,
    max_bytes: int,
) -> AdviceAttachment:
    """The practice attaches a file to its own request (the caller checked the request is visible to it).

    Raises ``AttachmentTooLarge`` (413), ``UnsupportedAttachment`` (415), ``Conflict`` (409) once the
    request is answered or holds its most files, ``AttachmentInfected`` (422), ``AttachmentScanFailed`` (503).
    """
    if not author.is_practice:
        raise Forbidden("only the practice that asked attaches files to its request")
    content_type = checked_type(upload, max_bytes=max_bytes)
    status = AdviceStatus(advice_request.status)
    if status not in OPEN_FOR_ATTACHMENTS:
        raise Conflict(f"the request is {status.value}; files are attached before the advice is given")
    if await _count(session, advice_request.id) >= MAX_ATTACHMENTS_PER_REQUEST:
        raise Conflict(f"a request holds at most {MAX_ATTACHMENTS_PER_REQUEST} attachments")
    await scan(scanner, upload.content)
    attachment = AdviceAttachment(
        advice_request_id=advice_request.id,
        filename="",
        content_type=content_type,
        size_bytes=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        content=upload.content,
        uploaded_by=author.sub,
        created_at=utcnow(),
    )
    attachment.filename = _filename(upload.filename, attachment.id, content_type)
    session.add(attachment)
    await session.flush()
    return attachment


async def attachments_of(session: AsyncSession, advice_request_id: str) -> Sequence[AdviceAttachment]:
    """The request's attachments in the order added, without their contents."""
    query = (
        select(AdviceAttachment)
        .options(defer(cast("QueryableAttribute[bytes]", AdviceAttachment.content)))
        .where(col(AdviceAttachment.advice_request_id) == advice_request_id)
        .order_by(col(AdviceAttachment.created_at), col(AdviceAttachment.id))
    )
    return (await session.execute(query)).scalars().all()


async def attachment_of(
    session: AsyncSession, advice_request_id: str, attachment_id: str
) -> AdviceAttachment:
    query = select(AdviceAttachment).where(
        col(AdviceAttachment.id) == attachment_id,
        col(AdviceAttachment.advice_request_id) == advice_request_id,
    )
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no attachment {attachment_id} on advice request {advice_request_id}")
    return found


def attachment_public(attachment: AdviceAttachment) -> AttachmentPublic:
    return AttachmentPublic(
        id=attachment.id,
        advice_request_id=attachment.advice_request_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size_bytes=attachment.size_bytes,
        sha256=attachment.sha256,
        uploaded_by=attachment.uploaded_by,
        created_at=as_utc(attachment.created_at),
    )
