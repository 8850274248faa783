"""API models of an advice request's attachments: what a listing shows; the file itself is served raw."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class AttachmentPublic(BaseModel):
    id: str
    advice_request_id: str
    filename: str = Field(description="The name given on upload, or one made from the id and type")
    content_type: str = Field(description="application/pdf, image/png or image/jpeg, as the bytes show")
    size_bytes: int
    sha256: str = Field(description="Hex SHA-256 of the file, to check a download against")
    uploaded_by: str
    created_at: dt.datetime
