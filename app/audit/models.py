"""Audit events, each under its own HMAC; the batches that seal them in a chain; the chain's signed head."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel

from schemas.nhs_number import is_valid_nhs_number


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    # A patient's trail is read newest first: this reads it backwards from the newest, with no sort.
    __table_args__ = (Index("ix_audit_events_nhs_number_id", "nhs_number", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=200)
    role: str = Field(max_length=32)
    organisation: str | None = Field(default=None, max_length=32)
    specialty: str | None = Field(default=None, max_length=64)
    nhs_number: str | None = Field(default=None, max_length=10)
    purpose: str = Field(max_length=200)
    action: str = Field(max_length=200)
    outcome: str = Field(max_length=32)
    status: int
    request_id: str = Field(max_length=64)
    break_glass_reason: str | None = Field(default=None, max_length=500)
    access_basis: str | None = Field(default=None, max_length=32)
    access_reason: str | None = Field(default=None, max_length=1000)
    # Events written before batches (migration 0008) hold the hash of the event before them here. Since then
    # the chain runs through the batches, and this holds a random salt, so that two otherwise equal events
    # (a replayed request id in the same microsecond) still differ in ``hash``.
    previous_hash: str = Field(max_length=64)
    # The event's own HMAC over its fields: an edit shows before the event is sealed, as well as after.
    hash: str = Field(max_length=64, unique=True)


class AuditBatch(SQLModel, table=True):
    """A run of events, by id, sealed in order: the hash of exactly those events, chained to the batch before.

    Append-only like the events. The range is what records which events a batch sealed; nothing is written
    to the events themselves. ``first_event_id`` is unique, so no event can be sealed by two batches.
    """

    __tablename__ = "audit_batches"

    id: int | None = Field(default=None, primary_key=True)
    first_event_id: int = Field(unique=True)
    last_event_id: int = Field(unique=True)
    event_count: int
    events_hash: str = Field(max_length=64)
    previous_hash: str = Field(max_length=64)
    sealed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    hash: str = Field(max_length=64, unique=True)


class AuditChainHead(SQLModel, table=True):
    """One row: how many events the batches seal and the last batch's hash, signed, so deleting the newest
    batches shows. Only the sealer writes it."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    length: int = 0
    last_hash: str = Field(max_length=64)
    signature: str | None = Field(default=None, max_length=64)


CUT_MARK = "…"
# Read from the columns themselves, so a column that is widened or added is bounded by its own length.
_TEXT_LIMITS: dict[str, int] = {
    column.name: column.type.length
    for column in AuditEvent.__table__.columns  # type: ignore[attr-defined]
    if isinstance(getattr(column.type, "length", None), int)
}
# PostgreSQL refuses NUL in text; no other C0 control but tab, CR and LF belongs in an audit line either.
_CONTROLS = {code: "\ufffd" for code in range(32) if chr(code) not in "\t\r\n"}


# The same few values (the actor, role, purpose, action) fill every event of a worklist's thirty, and a
# translate by mapping was the largest part of fitting them; each value is fitted once while it recurs.
@functools.lru_cache(maxsize=1024)
def _fitted(value: str, limit: int) -> str:
    value = value.translate(_CONTROLS)
    return value if len(value) <= limit else value[: limit - 1] + CUT_MARK


def fitted_to_columns(event: AuditEvent) -> AuditEvent:
    """The event with every value made storable, so that no value can keep an access from being recorded.

    The append is what stands between a request and its data, so it must not fail on what a caller sent.
    Bounding rather than refusing: a refused event would be an access with no record. Text longer than its
    column is cut and ends in ``CUT_MARK``, so a cut value never passes for a whole one (a cut code cannot
    read as another organisation's); control characters become U+FFFD. An NHS number that is not a valid
    one is dropped rather than cut, as a cut number could name another patient. Routes refuse such values
    with a 422 before this point; this is the last line, for values no route checked (token claims).
    """
    names = (*_TEXT_LIMITS, "nhs_number")
    for name, value in fitted_values({name: getattr(event, name) for name in names}).items():
        setattr(event, name, value)
    return event


def fitted_values(values: dict[str, Any]) -> dict[str, Any]:
    """``fitted_to_columns`` of an event given as its column values, in place: setting a model's fields one
    by one was most of the cost of writing a worklist's thirty events."""
    for name, limit in _TEXT_LIMITS.items():
        value = values.get(name)
        if isinstance(value, str):
            values[name] = _fitted(value, limit)
    if values.get("nhs_number") is not None and not is_valid_nhs_number(values["nhs_number"]):
        values["nhs_number"] = None
    return values
