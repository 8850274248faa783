"""API models describing the specialty plug-ins."""

from __future__ import annotations

from pydantic import BaseModel


class CriterionPublic(BaseModel):
    code: str
    title: str
    source: str


class FollowUpActionPublic(BaseModel):
    code: str
    title: str
    default_due_days: int | None


class SpecialtyPublic(BaseModel):
    code: str
    title: str
    description: str
    referral_criteria: list[CriterionPublic]
    advice_outcomes: list[str]
    follow_up_actions: list[FollowUpActionPublic]
