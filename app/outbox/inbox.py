"""Reading our MESH inbox: acknowledgements and delivery reports move the letters' deliveries on.

Each inbox message is applied in its own transaction and acknowledged to MESH only after that commits, so a
crash in between means it is read again; applying one twice changes nothing, because a delivery only ever
moves forward (sent → delivered → acknowledged) and the advice domain hears of an acknowledgement once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.outbox.metrics import MESH_RESPONSES
from app.outbox.models import Channel, DeliveryState, OutboxMessage
from app.outbox.ports import (
    DeliveryReport,
    InboxItem,
    ItkResponse,
    MeshInbox,
    RecordAcknowledgement,
    ResponseVerdict,
    UnreadableResponse,
)
from app.outbox.service import utc_now

log = logging.getLogger("vclinic.outbox.mesh")

_OPEN = (DeliveryState.SENT, DeliveryState.DELIVERED)


class Applied(StrEnum):
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    ALREADY = "already-applied"
    UNMATCHED = "unmatched"
    DEFERRED = "deferred"
    UNREADABLE = "unreadable"


CLOSES_THE_LOOP = "return-with-advice"


async def poll_mesh_inbox(
    factory: async_sessionmaker[AsyncSession],
    inbox: MeshInbox,
    *,
    record_acknowledgement: RecordAcknowledgement,
    clock: Callable[[], datetime] = utc_now,
    limit: int = 100,
) -> list[Applied]:
    """Applies what is waiting in the inbox; returns what each message did."""
    outcomes = []
    for item in await inbox.receive(limit):
        async with factory() as session, session.begin():
            outcome = await apply_inbox_item(
                session, item, now=clock(), record_acknowledgement=record_acknowledgement
            )
        MESH_RESPONSES.labels(outcome.value).inc()
        if outcome not in (Applied.DEFERRED, Applied.UNREADABLE):
            await inbox.acknowledge(item.mesh_message_id)
        outcomes.append(outcome)
    return outcomes


async def apply_inbox_item(
    session: AsyncSession,
    item: InboxItem,
    *,
    now: datetime,
    record_acknowledgement: RecordAcknowledgement,
) -> Applied:
    if isinstance(item, UnreadableResponse):
        # Left in MESH for a person to read there; MESH reports it to its sender if never collected.
        log.warning(
            "unreadable MESH acknowledgement",
            extra={"mesh_message_id": item.mesh_message_id, "reason": item.reason},
        )
        return Applied.UNREADABLE
    if isinstance(item, DeliveryReport):
        return await _apply_report(session, item)
    return await _apply_response(session, item, now=now, record_acknowledgement=record_acknowledgement)


async def _apply_report(session: AsyncSession, report: DeliveryReport) -> Applied:
    row = None
    if report.linked_message_id is not None:
        row = await _locked(session, col(OutboxMessage.external_id) == report.linked_message_id)
    if row is None:
        log.warning(
            "MESH report about a message we do not know", extra={"mesh_message_id": report.mesh_message_id}
        )
        return Applied.UNMATCHED
    if row.status not in _OPEN:
        return Applied.ALREADY
    _fail(row, f"MESH could not deliver the letter (report {report.status_code or 'without a code'})")
    return Applied.FAILED


async def _apply_response(
    session: AsyncSession,
    response: ItkResponse,
    *,
    now: datetime,
    record_acknowledgement: RecordAcknowledgement,
) -> Applied:
    row = (
        await _locked(session, col(OutboxMessage.id).in_(response.responds_to))
        if response.responds_to
        else None
    )
    if row is None or row.channel != Channel.MESH:
        log.warning(
            "ITK response to a message we do not know", extra={"mesh_message_id": response.mesh_message_id}
        )
        return Applied.UNMATCHED
    if row.status in (DeliveryState.PENDING, DeliveryState.DELIVERING):
        # Faster than our own bookkeeping of the send: read it again on the next poll.
        return Applied.DEFERRED
    if row.status not in _OPEN:
        return Applied.ALREADY
    return await _apply_verdict(
        session, row, response, now=now, record_acknowledgement=record_acknowledgement
    )


async def _apply_verdict(
    session: AsyncSession,
    row: OutboxMessage,
    response: ItkResponse,
    *,
    now: datetime,
    record_acknowledgement: RecordAcknowledgement,
) -> Applied:
    verdict = response.verdict
    if verdict is ResponseVerdict.RECEIVED:
        if row.status == DeliveryState.DELIVERED:
            return Applied.ALREADY
        row.status = DeliveryState.DELIVERED
        return Applied.DELIVERED
    if verdict is ResponseVerdict.ACCEPTED:
        row.status = DeliveryState.ACKNOWLEDGED
        row.acknowledged_at = now
        if row.payload.get("outcome") != CLOSES_THE_LOOP:
            # Accepting a letter that asks for more information says nothing about advice given later.
            return Applied.ACKNOWLEDGED
        await record_acknowledgement(
            session,
            advice_request_id=row.advice_request_id,
            source="mesh",
            referral_avoided=None,
            acknowledged_by=response.responder_ods,
        )
        return Applied.ACKNOWLEDGED
    kind = (
        "refused by the practice"
        if verdict is ResponseVerdict.REJECTED
        else "not accepted by the practice system"
    )
    _fail(row, f"Letter {kind} (ITK response {response.summary})")
    return Applied.FAILED


async def _locked(session: AsyncSession, condition: ColumnElement[bool]) -> OutboxMessage | None:
    query = select(OutboxMessage).where(condition).with_for_update().limit(1)
    return (await session.execute(query)).scalars().first()


def _fail(row: OutboxMessage, error: str) -> None:
    row.status = DeliveryState.FAILED
    row.last_error = error[:500]
    row.next_attempt_at = None
    # The delivery status shows it too (needs_attention); the log line is what alerting watches.
    log.warning(
        "advice letter failed: a person must look", extra={"message_id": row.id, "reason": row.last_error}
    )
