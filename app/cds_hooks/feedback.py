"""Cards issued and what the GP did with them: accepted, or overridden with a reason.

Each issued card is kept with its rule codes, service and practice, so feedback on it is feedback on those
rules. A card has one outcome: a repeated report of it (the EHR retrying) changes nothing, and a report
contradicting the one kept is a 409. Feedback naming a card this service never issued to the calling
client's practice, under that service, is refused as a whole with 404 and nothing is stored: the EHR's
card ids are its own mistake to see, and one stored half of a batch would make the retry ambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.cds_hooks.cards import IssuedCard
from app.cds_hooks.models import CdsCardFeedback, CdsIssuedCard
from app.core.errors import Conflict, NotFound
from schemas.api.cds_hooks import CardFeedback, CdsFeedbackReceipt


async def keep_issued_card(
    session: AsyncSession,
    issued: IssuedCard,
    *,
    service_id: str,
    specialty: str,
    practice_ods: str,
    client: str,
    hook_instance: str,
    now: datetime,
) -> None:
    session.add(
        CdsIssuedCard(
            uuid=issued.card.uuid,
            service_id=service_id,
            specialty=specialty,
            practice_ods=practice_ods,
            client=client,
            indicator=issued.card.indicator,
            rule_codes=list(issued.rule_codes),
            hook_instance=hook_instance,
            issued_at=now,
        )
    )
    await session.flush()


async def record_feedback(
    session: AsyncSession,
    items: Sequence[CardFeedback],
    *,
    service_id: str,
    practice_ods: str,
    now: datetime,
) -> CdsFeedbackReceipt:
    """Stores each card's outcome once; raises ``NotFound`` or ``Conflict`` as the module says."""
    latest: dict[str, CardFeedback] = {item.card.lower(): item for item in items}
    found = await session.execute(
        select(col(CdsIssuedCard.uuid)).where(
            col(CdsIssuedCard.uuid).in_(latest),
            col(CdsIssuedCard.service_id) == service_id,
            col(CdsIssuedCard.practice_ods) == practice_ods,
        )
    )
    known = set(found.scalars())
    if len(known) != len(latest):
        raise NotFound(
            f"{len(latest) - len(known)} of the cards were not issued by this service to this practice"
        )
    kept = await session.execute(select(CdsCardFeedback).where(col(CdsCardFeedback.card_uuid).in_(latest)))
    already = {row.card_uuid: row for row in kept.scalars()}
    recorded = repeated = 0
    for card_uuid, item in latest.items():
        previous = already.get(card_uuid)
        if previous is None:
            session.add(_feedback_row(card_uuid, item, now))
            recorded += 1
        elif previous.outcome == item.outcome and previous.override_reason_code == _reason_code(item):
            repeated += 1
        else:
            raise Conflict(f"the card already has the outcome {previous.outcome}", recorded=previous.outcome)
    await session.flush()
    return CdsFeedbackReceipt(recorded=recorded, already_recorded=repeated)


def _reason_code(item: CardFeedback) -> str | None:
    reason = item.override_reason.reason if item.override_reason is not None else None
    return reason.code if reason is not None else None


def _feedback_row(card_uuid: str, item: CardFeedback, now: datetime) -> CdsCardFeedback:
    reason = item.override_reason.reason if item.override_reason is not None else None
    moment = item.outcome_timestamp
    return CdsCardFeedback(
        card_uuid=card_uuid,
        outcome=item.outcome,
        override_reason_system=reason.system if reason is not None else None,
        override_reason_code=reason.code if reason is not None else None,
        accepted_suggestions=len(item.accepted_suggestions),
        outcome_at=moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC),
        received_at=now,
    )
