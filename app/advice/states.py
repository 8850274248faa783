"""The life of an advice request, as one transition table.

    awaiting-review ──request-further-information──▶ awaiting-gp-information
    awaiting-gp-information ──provide-information──▶ awaiting-review
    awaiting-review ──give-advice──▶ advice-given ──acknowledge──▶ closed
    advice-given ──give-advice──▶ advice-given          (advice re-issued)
    awaiting-review ──convert-to-referral──▶ converted-to-referral
    awaiting-review | awaiting-gp-information ──cancel──▶ cancelled

Each transition names the side that may take it: the consultant answers, the practice supplies information,
acknowledges and cancels. Pure: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from schemas.api.advice import AdviceStatus


class AdviceEvent(StrEnum):
    REQUEST_FURTHER_INFORMATION = "request-further-information"
    PROVIDE_INFORMATION = "provide-information"
    GIVE_ADVICE = "give-advice"
    CONVERT_TO_REFERRAL = "convert-to-referral"
    ACKNOWLEDGE = "acknowledge"
    CANCEL = "cancel"


class Side(StrEnum):
    CONSULTANT = "consultant"
    PRACTICE = "practice"


@dataclass(frozen=True, slots=True)
class Transition:
    source: AdviceStatus
    event: AdviceEvent
    target: AdviceStatus
    side: Side


_S = AdviceStatus
_E = AdviceEvent

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        _S.AWAITING_REVIEW, _E.REQUEST_FURTHER_INFORMATION, _S.AWAITING_GP_INFORMATION, Side.CONSULTANT
    ),
    Transition(_S.AWAITING_REVIEW, _E.GIVE_ADVICE, _S.ADVICE_GIVEN, Side.CONSULTANT),
    Transition(_S.AWAITING_REVIEW, _E.CONVERT_TO_REFERRAL, _S.CONVERTED_TO_REFERRAL, Side.CONSULTANT),
    Transition(_S.AWAITING_REVIEW, _E.CANCEL, _S.CANCELLED, Side.PRACTICE),
    Transition(_S.AWAITING_GP_INFORMATION, _E.PROVIDE_INFORMATION, _S.AWAITING_REVIEW, Side.PRACTICE),
    Transition(_S.AWAITING_GP_INFORMATION, _E.CANCEL, _S.CANCELLED, Side.PRACTICE),
    Transition(_S.ADVICE_GIVEN, _E.GIVE_ADVICE, _S.ADVICE_GIVEN, Side.CONSULTANT),
    Transition(_S.ADVICE_GIVEN, _E.ACKNOWLEDGE, _S.CLOSED, Side.PRACTICE),
)

_TABLE: dict[tuple[AdviceStatus, AdviceEvent], Transition] = {(t.source, t.event): t for t in TRANSITIONS}

# A request in one of these states waits on no one: it takes no more messages or answers.
TERMINAL_STATUSES = frozenset({_S.CLOSED, _S.CONVERTED_TO_REFERRAL, _S.CANCELLED})

# DESIGN.md: an open advice request gives the specialty's consultants a relationship with the patient.
# A conversion to a referral keeps it, since the patient is now coming to that specialty.
RELATIONSHIP_STATUSES = frozenset(set(AdviceStatus) - {_S.CLOSED, _S.CANCELLED})

# The consultant's outcome (schemas.advice.AdviceOutcome) decides which transition an answer takes.
OUTCOME_EVENTS: dict[str, AdviceEvent] = {
    "return-with-advice": _E.GIVE_ADVICE,
    "further-information-required": _E.REQUEST_FURTHER_INFORMATION,
    "converted-to-referral": _E.CONVERT_TO_REFERRAL,
}


class IllegalTransition(Exception):
    """No transition for this event from this status."""

    def __init__(self, status: AdviceStatus, event: AdviceEvent, allowed: list[AdviceEvent]) -> None:
        super().__init__(f"{event.value} is not allowed from {status.value}")
        self.status = status
        self.event = event
        self.allowed = allowed


class WrongSide(Exception):
    """The transition exists but belongs to the other side of the conversation."""

    def __init__(self, found: Transition, side: Side) -> None:
        super().__init__(f"{found.event.value} is for the {found.side.value}, not the {side.value}")
        self.transition = found


def allowed_events(status: AdviceStatus) -> list[AdviceEvent]:
    """The events that may happen next, in table order."""
    return [t.event for t in TRANSITIONS if t.source is status]


def transition(status: AdviceStatus, event: AdviceEvent, side: Side) -> Transition:
    """The transition ``side`` takes with ``event`` from ``status``.

    Raises IllegalTransition when the table has none, WrongSide when it belongs to the other side.
    """
    found = _TABLE.get((status, event))
    if found is None:
        raise IllegalTransition(status, event, allowed_events(status))
    if found.side is not side:
        raise WrongSide(found, side)
    return found
