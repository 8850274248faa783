"""Files a practice attaches to an advice request: a letter, a scan, a photograph, kept in the database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel


def _new_id() -> str:
    return uuid.uuid4().hex


def _timestamp() -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=False))


class AdviceAttachment(SQLModel, table=True):
    """One file, its type as its bytes show it (never as its name says), and who attached it.

    Kept beside the request rather than on a file share, so that backups, access and retention follow the
    request's own, and a multi-instance deployment needs no shared disk.
    """

    __tablename__ = "advice_attachments"

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    advice_request_id: str = Field(foreign_key="advice_requests.id", max_length=32, index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=32)
    size_bytes: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(max_length=200)
    created_at: datetime = _timestamp()
