"""API models of patient registrations kept in the registry directory."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RegistrationUpdate(BaseModel):
    practice_ods: str = Field(pattern=r"^[A-Z0-9]{3,10}$", description="The practice's ODS code")


class RegistrationPublic(BaseModel):
    nhs_number: str
    practice_ods: str
    updated_at: datetime
    updated_by: str
