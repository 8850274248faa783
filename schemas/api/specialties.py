"""API models describing the specialty plug-ins."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CriterionPublic(BaseModel):
    code: str
    title: str
    source: str


class FollowUpActionPublic(BaseModel):
    code: str
    title: str
    default_due_days: int | None
    satisfied_by: list[list[str]] = Field(
        default_factory=list,
        description="Analyte groups whose results, dated after the advice, close the action by themselves: "
        "every group needs one result, and any analyte of a group will do",
    )


class SpecialtyPublic(BaseModel):
    code: str
    title: str
    description: str
    referral_criteria: list[CriterionPublic]
    advice_outcomes: list[str]
    follow_up_actions: list[FollowUpActionPublic]
