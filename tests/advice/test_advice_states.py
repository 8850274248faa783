"""The advice state machine: every pair of status and event is either in the table or refused."""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from app.advice.states import (
    OUTCOME_EVENTS,
    RELATIONSHIP_STATUSES,
    TERMINAL_STATUSES,
    AdviceEvent,
    IllegalTransition,
    Side,
    WrongSide,
    allowed_events,
    transition,
)
from schemas.advice import AdviceOutcome
from schemas.api.advice import AdviceStatus

S = AdviceStatus
E = AdviceEvent

LEGAL = {
    (S.AWAITING_REVIEW, E.REQUEST_FURTHER_INFORMATION): (S.AWAITING_GP_INFORMATION, Side.CONSULTANT),
    (S.AWAITING_REVIEW, E.GIVE_ADVICE): (S.ADVICE_GIVEN, Side.CONSULTANT),
    (S.AWAITING_REVIEW, E.CONVERT_TO_REFERRAL): (S.CONVERTED_TO_REFERRAL, Side.CONSULTANT),
    (S.AWAITING_REVIEW, E.CANCEL): (S.CANCELLED, Side.PRACTICE),
    (S.AWAITING_GP_INFORMATION, E.PROVIDE_INFORMATION): (S.AWAITING_REVIEW, Side.PRACTICE),
    (S.AWAITING_GP_INFORMATION, E.CANCEL): (S.CANCELLED, Side.PRACTICE),
    (S.ADVICE_GIVEN, E.GIVE_ADVICE): (S.ADVICE_GIVEN, Side.CONSULTANT),
    (S.ADVICE_GIVEN, E.ACKNOWLEDGE): (S.CLOSED, Side.PRACTICE),
}
ILLEGAL = [pair for pair in itertools.product(AdviceStatus, AdviceEvent) if pair not in LEGAL]


@pytest.mark.parametrize(("status", "event"), list(LEGAL), ids=lambda value: str(value))
def test_a_legal_transition_reaches_its_target_for_its_side(status: S, event: E) -> None:
    target, side = LEGAL[(status, event)]
    assert transition(status, event, side).target is target


@pytest.mark.parametrize(("status", "event"), list(LEGAL), ids=lambda value: str(value))
def test_a_legal_transition_is_refused_to_the_other_side(status: S, event: E) -> None:
    _, side = LEGAL[(status, event)]
    other = Side.PRACTICE if side is Side.CONSULTANT else Side.CONSULTANT
    with pytest.raises(WrongSide):
        transition(status, event, other)


@pytest.mark.parametrize(("status", "event"), ILLEGAL, ids=lambda value: str(value))
def test_an_illegal_transition_is_refused_naming_what_is_allowed(status: S, event: E) -> None:
    for side in Side:
        with pytest.raises(IllegalTransition) as refusal:
            transition(status, event, side)
        assert refusal.value.allowed == [e for (s, e) in LEGAL if s is status]


def test_the_table_covers_every_status_and_event() -> None:
    assert len(LEGAL) + len(ILLEGAL) == len(AdviceStatus) * len(AdviceEvent)


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_nothing_leaves_a_finished_request(status: S) -> None:
    assert allowed_events(status) == []


def test_only_closed_and_cancelled_requests_end_the_relationship() -> None:
    assert set(AdviceStatus) - RELATIONSHIP_STATUSES == {S.CLOSED, S.CANCELLED}


def test_every_outcome_a_consultant_can_choose_has_an_event() -> None:
    assert set(OUTCOME_EVENTS) == set(get_args(AdviceOutcome))
