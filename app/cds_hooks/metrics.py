"""Acceptance and override rates of CDS Hooks cards per rule, for ``/v1/metrics/advice``.

A card carrying several rules counts once for each. Rates are over the cards issued: an ignored card
produces no feedback (CDS Hooks 2.0), so it counts as neither accepted nor overridden.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth.principal import Principal, Role
from app.cds_hooks.models import CdsCardFeedback, CdsIssuedCard
from schemas.api.cds_hooks import CdsCardRuleMetrics


@dataclass(slots=True)
class _Tally:
    cards: int = 0
    accepted: int = 0
    overridden: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def _visible_to(viewer: Principal) -> ColumnElement[bool]:
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.CONSULTANT:
        return col(CdsIssuedCard.specialty) == viewer.specialty
    return col(CdsIssuedCard.practice_ods) == viewer.ods


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


async def cds_card_metrics(
    session: AsyncSession, *, viewer: Principal, specialty: str | None, practice_ods: str | None
) -> list[CdsCardRuleMetrics]:
    """Per service, practice and rule: cards issued, accepted and overridden, over what ``viewer`` may see."""
    query = (
        select(
            col(CdsIssuedCard.service_id),
            col(CdsIssuedCard.specialty),
            col(CdsIssuedCard.practice_ods),
            col(CdsIssuedCard.rule_codes),
            col(CdsCardFeedback.outcome),
            col(CdsCardFeedback.override_reason_code),
        )
        .outerjoin(CdsCardFeedback, col(CdsCardFeedback.card_uuid) == col(CdsIssuedCard.uuid))
        .where(_visible_to(viewer))
    )
    if specialty is not None:
        query = query.where(col(CdsIssuedCard.specialty) == specialty)
    if practice_ods is not None:
        query = query.where(col(CdsIssuedCard.practice_ods) == practice_ods)
    tallies: dict[tuple[str, str, str, str], _Tally] = {}
    for service_id, card_specialty, ods, rules, outcome, reason in (await session.execute(query)).all():
        for rule in rules:
            tally = tallies.setdefault((service_id, card_specialty, ods, rule), _Tally())
            tally.cards += 1
            tally.accepted += outcome == "accepted"
            tally.overridden += outcome == "overridden"
            if outcome == "overridden":
                tally.reasons[reason or "unstated"] += 1
    return [
        CdsCardRuleMetrics(
            service=service_id,
            specialty=card_specialty,
            practice_ods=ods,
            rule=rule,
            cards=tally.cards,
            accepted=tally.accepted,
            overridden=tally.overridden,
            acceptance_rate=_rate(tally.accepted, tally.cards),
            override_rate=_rate(tally.overridden, tally.cards),
            override_reasons=dict(tally.reasons),
        )
        for (service_id, card_specialty, ods, rule), tally in sorted(tallies.items())
    ]
