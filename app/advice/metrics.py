"""Advice metrics per specialty and practice: volume, time to advice, outcomes, referrals avoided.

Computed in Python over the rows so the figures are identical on SQLite (which has no percentile functions)
and PostgreSQL. Percentiles interpolate between ranks, as PostgreSQL's ``percentile_cont`` does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.advice.access import visible_to
from app.advice.models import AdviceRequest, AdviceResponse
from app.advice.service import as_utc
from app.auth.principal import Principal
from schemas.api.advice import AdviceMetricsGroup, AdviceStatus

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


def _group(specialty: str, practice_ods: str, facts: list[RequestFacts]) -> AdviceMetricsGroup:
    answered = [fact for fact in facts if fact.advice_given_at is not None]
    hours = [hours for hours in map(_hours_to_advice, answered) if hours is not None]
    advice_only = sum(1 for fact in answered if fact.latest_answer == _ADVICE_ONLY)
    converted = sum(1 for fact in answered if fact.status == AdviceStatus.CONVERTED_TO_REFERRAL.value)
    reported = [fact.referral_avoided for fact in facts if fact.referral_avoided is not None]
    return AdviceMetricsGroup(
        specialty=specialty,
        practice_ods=practice_ods,
        requests=len(facts),
        answered=len(answered),
        median_hours_to_advice=percentile_cont(hours, 0.5),
        p90_hours_to_advice=percentile_cont(hours, 0.9),
        advice_only_share=_share(advice_only, len(answered)),
        converted_to_referral_share=_share(converted, len(answered)),
        acknowledgements_with_outcome=len(reported),
        referral_avoided_share=_share(sum(reported), len(reported)),
    )


def summarise(facts: Iterable[RequestFacts]) -> list[AdviceMetricsGroup]:
    """One group per specialty and practice, in that order."""
    groups: dict[tuple[str, str], list[RequestFacts]] = defaultdict(list)
    for fact in facts:
        groups[(fact.specialty, fact.practice_ods)].append(fact)
    return [_group(specialty, ods, groups[(specialty, ods)]) for specialty, ods in sorted(groups)]


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
    session: AsyncSession, *, viewer: Principal, specialty: str | None, practice_ods: str | None
) -> list[AdviceMetricsGroup]:
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
    ).where(*filters)
    return summarise(
        RequestFacts(
            specialty=row.specialty,
            practice_ods=row.practice_ods,
            created_at=row.created_at,
            advice_given_at=row.advice_given_at,
            status=row.status,
            referral_avoided=row.referral_avoided,
            latest_answer=answers.get(row.id),
        )
        for row in await session.execute(query)
    )
