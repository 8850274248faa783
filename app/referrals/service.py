"""Converting an advice request to a referral, handed on durably as a BaRS message through the outbox.

The practice authorises conversion when it asks (e-RS's "Do you authorise the provider to convert this
advice request into a referral if appropriate?"; SPECIALTIES.md §7.1). Without that, referring stays with the
practice, so the consultant's conversion is refused and the request left as it was.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.advice.models import AdviceRequest
from app.core.errors import Conflict
from app.outbox.models import OutboxMessage
from app.outbox.service import enqueue_referral
from schemas.advice import AdviceMessage

CONVERSION_OUTCOME = "converted-to-referral"
# Names the referral of each request, so that the request has one referral message however often it is built.
_REFERRAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://vclinic.nhs.example/Id/referral")


def referral_message_id(advice_request_id: str) -> str:
    """The referral message's id: derived from the request, so a redelivery is the same message."""
    return uuid.uuid5(_REFERRAL_NAMESPACE, advice_request_id).hex


def ensure_conversion_authorised(advice_request: AdviceRequest) -> None:
    """Raises Conflict (409) unless the practice authorised converting this request into a referral."""
    if not advice_request.authorised_to_convert:
        raise Conflict(
            "the practice did not authorise converting this advice request into a referral, so referring "
            "remains with the practice: answer with advice, or ask the practice for more information",
            authorised_to_convert=False,
        )


async def hand_on_referral(
    session: AsyncSession, advice: AdviceMessage, *, endpoint_configured: bool
) -> OutboxMessage:
    """Queues the referral for the converted request in the caller's transaction; again, a no-op.

    Its payload is the advice message that converted the request, under the referral's own id: the referral
    adapter builds the BaRS Bundle from it at delivery, the same Bundle every time. With no endpoint
    configured the referral is held (never lost) until a worker that has one starts.
    """
    referral = advice.model_copy(update={"message_id": referral_message_id(advice.advice_request_id)})
    return await enqueue_referral(session, referral, held=not endpoint_configured)
