"""Where each worklist row stands, as one badge: waiting, in progress, advised, acknowledged or closed.

The entry says whether the consultant has advised; the practice's advice request says what happened next
(the practice acknowledged the advice, or the request closed unanswered or as a referral). The later fact
wins, so a row reads as far as the patient has got.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.advice.models import AdviceRequest
from schemas.api.advice import AdviceStatus
from schemas.api.clinics import EntryStatus, WorklistEntryPublic

CLOSED = frozenset({AdviceStatus.CLOSED, AdviceStatus.CONVERTED_TO_REFERRAL, AdviceStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class RowState:
    code: str
    label: str
    # A sign beside the word, so that the badges differ without colour.
    symbol: str


WAITING = RowState("waiting", "Waiting", "○")
IN_PROGRESS = RowState("in-progress", "In progress", "◐")
ADVISED = RowState("advised", "Advised", "✓")
ACKNOWLEDGED = RowState("acknowledged", "Acknowledged", "✔✔")
CLOSED_STATE = RowState("closed", "Closed", "■")
UNAVAILABLE = RowState("unavailable", "Record unavailable", "!")


def row_state(entry: WorklistEntryPublic, advice: AdviceRequest | None) -> RowState:
    # Acknowledging closes the request too; the acknowledgement is the news.
    if advice is not None and advice.acknowledged_at is not None:
        return ACKNOWLEDGED
    if advice is not None and advice.status in CLOSED:
        return CLOSED_STATE
    if entry.status == EntryStatus.ADVISED or (
        advice is not None and advice.status == AdviceStatus.ADVICE_GIVEN
    ):
        return ADVISED
    if entry.status == EntryStatus.UNAVAILABLE:
        return UNAVAILABLE
    if entry.status == EntryStatus.IN_PROGRESS:
        return IN_PROGRESS
    return WAITING
