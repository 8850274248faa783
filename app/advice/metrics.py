"""Advice metrics per specialty and practice, and rolled up per specialty and per practice: volume, time to
advice, outcomes, referrals avoided, the close-out answers and whether requests were inside the criteria.

Computed in Python over the rows so the figures are identical on SQLite (which has no percentile functions)
and PostgreSQL. Percentiles interpolate between ranks, as PostgreSQL's ``percentile_cont`` does.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.advice.access import visible_to
from app.advice.models import AdviceRequest, AdviceResponse
from app.advice.service import as_utc
from app.auth.principal import Principal
from schemas.api.advice import (
    RESOLVED_WITHOUT_VISIT,
    AdviceMetricsGroup,
    AdviceMetricsPublic,
    AdviceStatus,
    CourseOfAction,
    CriteriaCounts,
    PracticeAdviceMetrics,
    ReferralOutcome,
    SpecialtyAdviceMetrics,
)

Key = TypeVar("Key", str, tuple[str, str])

_ANSWER_OUTCOMES = ("return-with-advice", "converted-to-referral")
_ADVICE_ONLY = ("return-with-advice", "advice-only")


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the metrics need of one request; ``latest_answer`` is the (outcome, recommendation) last given."""

    specialty: str
    practice_ods: str
    created_at: datetime
    advice_given_at: datetime | None
    status: str
    referral_avoided: bool | None
    latest_answer: tuple[str, str] | None = None
    course_of_action: str | None = None
    referral_outcome: str | None = None
    criteria_met: list[str] | None = None


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """The continuous percentile: linear interpolation between the two nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _hours_to_advice(fact: RequestFacts) -> float | None:
    if fact.advice_given_at is None:
        return None
    return (as_utc(fact.advice_given_at) - as_utc(fact.created_at)).total_seconds() / 3600


def _criteria(facts: list[RequestFacts]) -> CriteriaCounts:
    inside = sum(1 for fact in facts if fact.criteria_met)
    unknown = sum(1 for fact in facts if fact.criteria_met is None)
    return CriteriaCounts(inside=inside, outside=len(facts) - inside - unknown, unknown=unknown)


def _figures(facts: list[RequestFacts]) -> dict[str, Any]:
    answered = [fact for fact in facts if fact.advice_given_at is not None]
    hours = [hours for hours in map(_hours_to_advice, answered) if hours is not None]
    advice_only = sum(1 for fact in answered if fact.latest_answer == _ADVICE_ONLY)
    converted = sum(1 for fact in answered if fact.status == AdviceStatus.CONVERTED_TO_REFERRAL.value)
    reported = [fact.referral_avoided for fact in facts if fact.referral_avoided is not None]
    outcomes = Counter(fact.referral_outcome for fact in facts if fact.referral_outcome is not None)
    courses = Counter(fact.course_of_action for fact in facts if fact.course_of_action is not None)
    resolved = sum(outcomes[outcome.value] for outcome in RESOLVED_WITHOUT_VISIT)
    return {
        "requests": len(facts),
        "answered": len(answered),
        "median_hours_to_advice": percentile_cont(hours, 0.5),
        "p90_hours_to_advice": percentile_cont(hours, 0.9),
        "advice_only_share": _share(advice_only, len(answered)),
        "converted_to_referral_share": _share(converted, len(answered)),
        "acknowledgements_with_outcome": len(reported),
        "referral_avoided_share": _share(sum(reported), len(reported)),
        "resolved_without_visit_share": _share(resolved, outcomes.total()),
        "course_of_action": {course: courses[course.value] for course in CourseOfAction},
        "referral_outcome": {outcome: outcomes[outcome.value] for outcome in ReferralOutcome},
        "criteria": _criteria(facts),
    }


def _grouped(
    facts: Iterable[RequestFacts], key: Callable[[RequestFacts], Key]
) -> dict[Key, list[RequestFacts]]:
    groups: dict[Key, list[RequestFacts]] = defaultdict(list)
    for fact in facts:
        groups[key(fact)].append(fact)
    return {group: groups[group] for group in sorted(groups)}


def summarise(facts: Iterable[RequestFacts]) -> list[AdviceMetricsGroup]:
    """One group per specialty and practice, in that order."""
    return [
        AdviceMetricsGroup(specialty=specialty, practice_ods=ods, **_figures(group))
        for (specialty, ods), group in _grouped(
            facts, lambda fact: (fact.specialty, fact.practice_ods)
        ).items()
    ]


def summarise_by_specialty(facts: Iterable[RequestFacts]) -> list[SpecialtyAdviceMetrics]:
    """Each specialty over every practice the viewer may see."""
    return [
        SpecialtyAdviceMetrics(specialty=specialty, **_figures(group))
        for specialty, group in _grouped(facts, lambda fact: fact.specialty).items()
    ]


def summarise_by_practice(facts: Iterable[RequestFacts]) -> list[PracticeAdviceMetrics]:
    """Each practice over every specialty the viewer may see."""
    return [
        PracticeAdviceMetrics(practice_ods=ods, **_figures(group))
        for ods, group in _grouped(facts, lambda fact: fact.practice_ods).items()
    ]


def _filters(viewer: Principal, specialty: str | None, practice_ods: str | None) -> list[ColumnElement[bool]]:
    filters = [visible_to(viewer)]
    if specialty is not None:
        filters.append(col(AdviceRequest.specialty) == specialty)
    if practice_ods is not None:
        filters.append(col(AdviceRequest.practice_ods) == practice_ods)
    return filters


async def _latest_answers(
    session: AsyncSession, filters: list[ColumnElement[bool]]
) -> dict[str, tuple[str, str]]:
    query = (
        select(
            col(AdviceResponse.advice_request_id),
            col(AdviceResponse.outcome),
            col(AdviceResponse.recommendation),
        )
        .join(AdviceRequest, col(AdviceRequest.id) == col(AdviceResponse.advice_request_id))
        .where(col(AdviceResponse.outcome).in_(_ANSWER_OUTCOMES), *filters)
        .order_by(col(AdviceResponse.id))
    )
    return {row[0]: (row[1], row[2]) for row in await session.execute(query)}


async def advice_metrics(
    session: AsyncSession,
    *,
    viewer: Principal,
    specialty: str | None,
    practice_ods: str | None,
    generated_at: datetime,
) -> AdviceMetricsPublic:
    """The metrics over the requests the viewer may see, narrowed by the filters given."""
    filters = _filters(viewer, specialty, practice_ods)
    answers = await _latest_answers(session, filters)
    query = select(
        col(AdviceRequest.id),
        col(AdviceRequest.specialty),
        col(AdviceRequest.practice_ods),
        col(AdviceRequest.created_at),
        col(AdviceRequest.advice_given_at),
        col(AdviceRequest.status),
        col(AdviceRequest.referral_avoided),
        col(AdviceRequest.course_of_action),
        col(AdviceRequest.referral_outcome),
        col(AdviceRequest.criteria_met),
    ).where(*filters)
    facts = [
        RequestFacts(
            specialty=row.specialty,
            practice_ods=row.practice_ods,
            created_at=row.created_at,
            advice_given_at=row.advice_given_at,
            status=row.status,
            referral_avoided=row.referral_avoided,
            latest_answer=answers.get(row.id),
            course_of_action=row.course_of_action,
            referral_outcome=row.referral_outcome,
            criteria_met=row.criteria_met,
        )
        for row in await session.execute(query)
    ]
    return AdviceMetricsPublic(
        generated_at=generated_at,
        groups=summarise(facts),
        by_specialty=summarise_by_specialty(facts),
        by_practice=summarise_by_practice(facts),
    )
