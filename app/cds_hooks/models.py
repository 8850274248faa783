"""What the CDS Hooks services keep: the JWT ids already used, each card issued, and the GP's answer to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, ForeignKey, Index, String
from sqlmodel import Field, SQLModel


def _timestamp(*, index: bool = False) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=index))


class CdsTokenUse(SQLModel, table=True):
    """A JWT id seen from an issuer; kept until the token expires, so a replay is refused on any worker."""

    __tablename__ = "cds_hooks_token_uses"

    issuer: str = Field(primary_key=True, max_length=500)
    jti: str = Field(primary_key=True, max_length=200)
    expires_at: datetime = _timestamp(index=True)


class CdsIssuedCard(SQLModel, table=True):
    """A card sent to an EHR, with the rules behind it, so feedback on it is feedback on those rules."""

    __tablename__ = "cds_hooks_cards"
    __table_args__ = (Index("ix_cds_hooks_cards_practice", "practice_ods", "specialty", "issued_at"),)

    uuid: str = Field(primary_key=True, max_length=36)
    service_id: str = Field(max_length=100)
    specialty: str = Field(max_length=64)
    practice_ods: str = Field(max_length=10)
    client: str = Field(max_length=100)
    indicator: str = Field(max_length=16)
    rule_codes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    hook_instance: str = Field(max_length=36)
    issued_at: datetime = _timestamp()


class CdsCardFeedback(SQLModel, table=True):
    """The GP's one answer to a card: accepted, or overridden with a reason. The free-text comment is not
    kept: it may hold anything about the patient, and the metrics need only the coded reason."""

    __tablename__ = "cds_hooks_feedback"
    __table_args__ = (
        CheckConstraint("outcome IN ('accepted', 'overridden')", name="ck_cds_hooks_feedback_outcome"),
    )

    card_uuid: str = Field(sa_column=Column(String(36), ForeignKey("cds_hooks_cards.uuid"), primary_key=True))
    outcome: str = Field(max_length=16)
    override_reason_system: str | None = Field(default=None, max_length=500)
    override_reason_code: str | None = Field(default=None, max_length=200)
    accepted_suggestions: int = 0
    outcome_at: datetime = _timestamp()
    received_at: datetime = _timestamp()
