"""The ``registry`` patient directory: registrations kept in our own database, managed by admins.

For areas without PDS access, or for patients PDS may not tell us about, an operator records which practice
a patient is registered with. The directory answers only what it was told: an unknown NHS number is None.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel, select


class PatientRegistration(SQLModel, table=True):
    __tablename__ = "patient_registrations"

    nhs_number: str = Field(primary_key=True, max_length=10)
    practice_ods: str = Field(max_length=10, index=True)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_by: str = Field(max_length=200)


class RegistryDirectory:
    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory

    async def registered_practice(self, nhs_number: str) -> str | None:
        async with self._factory() as session:
            query = select(PatientRegistration.practice_ods).where(
                PatientRegistration.nhs_number == nhs_number
            )
            return (await session.execute(query)).scalar_one_or_none()

    async def aclose(self) -> None:
        return None


async def record_registration(
    session: AsyncSession, *, nhs_number: str, practice_ods: str, updated_by: str, at: datetime
) -> PatientRegistration:
    registration = await session.get(PatientRegistration, nhs_number)
    if registration is None:
        registration = PatientRegistration(
            nhs_number=nhs_number, practice_ods=practice_ods, updated_at=at, updated_by=updated_by
        )
    else:
        registration.practice_ods = practice_ods
        registration.updated_at = at
        registration.updated_by = updated_by
    session.add(registration)
    await session.flush()
    return registration
