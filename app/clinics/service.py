"""Clinics and their lists: create, find, add to, remove from, close, and the relationship an entry gives.

Functions flush; the caller commits. Least privilege: a consultant works only with their own specialty's
clinics, an admin with every clinic, and no one else with any.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.relationships import ASKED_BY_PRACTICE, CareRelationship, RelationshipRows, RelationshipSource
from app.advice.models import AdviceRequest
from app.advice.states import TERMINAL_STATUSES
from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.clinics.models import Clinic, ClinicEntry
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.records.service import registered_practice
from app.records.wiring import PracticeNetwork
from app.specialties.registry import SPECIALTIES
from schemas.api.advice import AdviceStatus
from schemas.api.clinics import (
    ClinicCreate,
    ClinicEntryCreate,
    ClinicEntryFromAdviceRequest,
    ClinicStatus,
    EntryStatus,
)

# An entry on an open clinic's list, other than a removed one, puts the patient in the specialty's care.
ACTIVE_ENTRY_STATUSES = frozenset(set(EntryStatus) - {EntryStatus.REMOVED})


def require_clinic_role(principal: Principal, specialty: str) -> None:
    """Admins, and the consultants of the clinic's specialty; everyone else is refused."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.CONSULTANT and principal.specialty == specialty:
        return
    raise Forbidden(f"only {specialty} consultants and admins may work with this specialty's clinics")


async def create_clinic(
    session: AsyncSession, *, author: Principal, submission: ClinicCreate, now: datetime
) -> Clinic:
    """A clinic session for a consultant of the specialty, open and with an empty list."""
    require_clinic_role(author, submission.specialty)
    if submission.specialty not in SPECIALTIES:
        raise Unprocessable(
            f"no specialty {submission.specialty!r}; available: {', '.join(sorted(SPECIALTIES))}"
        )
    clinic = Clinic(
        specialty=submission.specialty,
        clinic_date=submission.date,
        consultant_sub=submission.consultant.sub,
        consultant_name=submission.consultant.name,
        status=ClinicStatus.OPEN.value,
        created_by=author.sub,
        created_at=now,
    )
    session.add(clinic)
    await session.flush()
    return clinic


def _visible_to(viewer: Principal) -> ColumnElement[bool]:
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.CONSULTANT:
        return col(Clinic.specialty) == viewer.specialty
    raise Forbidden("only consultants and admins work with clinics")


async def list_clinics(
    session: AsyncSession,
    *,
    viewer: Principal,
    on: date | None = None,
    status: ClinicStatus | None = None,
    limit: int = 100,
) -> Sequence[Clinic]:
    """The clinics the viewer may see, the latest day first."""
    query = select(Clinic).where(_visible_to(viewer))
    if on is not None:
        query = query.where(col(Clinic.clinic_date) == on)
    if status is not None:
        query = query.where(col(Clinic.status) == status.value)
    query = query.order_by(col(Clinic.clinic_date).desc(), col(Clinic.created_at).desc()).limit(limit)
    return (await session.execute(query)).scalars().all()


async def clinic_for(
    session: AsyncSession, principal: Principal, clinic_id: str, *, for_update: bool = False
) -> Clinic:
    """The clinic, if the principal may work with it; ``for_update`` then holds its row until the commit."""
    clinic = (await session.execute(select(Clinic).where(col(Clinic.id) == clinic_id))).scalar_one_or_none()
    if clinic is None:
        raise NotFound(f"no clinic {clinic_id}")
    require_clinic_role(principal, clinic.specialty)
    return await _held(session, clinic_id) if for_update else clinic


async def _held(session: AsyncSession, clinic_id: str) -> Clinic:
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks and ignores FOR UPDATE. A no-op UPDATE takes its database write lock first,
        # so two instances adding to one list take turns instead of both choosing the next position.
        await session.execute(
            update(Clinic)
            .where(col(Clinic.id) == clinic_id)
            .values(status=col(Clinic.status))
            .execution_options(synchronize_session=False)
        )
    query = select(Clinic).where(col(Clinic.id) == clinic_id).with_for_update()
    # Read again under the lock: the clinic may have closed since it was first read.
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one()


async def entries_of(
    session: AsyncSession, clinic_id: str, *, active_only: bool = False
) -> Sequence[ClinicEntry]:
    """The clinic's entries in list order."""
    query = select(ClinicEntry).where(col(ClinicEntry.clinic_id) == clinic_id)
    if active_only:
        query = query.where(col(ClinicEntry.status).in_([s.value for s in ACTIVE_ENTRY_STATUSES]))
    return (await session.execute(query.order_by(col(ClinicEntry.position)))).scalars().all()


async def add_clinic_entry(
    session: AsyncSession,
    *,
    clinic: Clinic,
    author: Principal,
    submission: ClinicEntryCreate,
    network: PracticeNetwork,
    now: datetime,
) -> ClinicEntry:
    """Puts a patient at the end of an open clinic's list; ``clinic`` should be held for update."""
    _require_open(clinic, "takes no more patients")
    if isinstance(submission, ClinicEntryFromAdviceRequest):
        advice_request = await _open_request_for(session, clinic, submission.advice_request_id)
        nhs_number, practice_ods, reason = advice_request.nhs_number, advice_request.practice_ods, None
        advice_request_id: str | None = advice_request.id
    else:
        nhs_number, reason, advice_request_id = submission.nhs_number, submission.reason, None
        practice_ods = await registered_practice(network, nhs_number)
    return await _append_entry(
        session,
        clinic=clinic,
        author=author,
        nhs_number=nhs_number,
        practice_ods=practice_ods,
        advice_request_id=advice_request_id,
        reason=reason,
        now=now,
    )


async def add_found_patient(
    session: AsyncSession,
    *,
    clinic: Clinic,
    author: Principal,
    nhs_number: str,
    practice_ods: str,
    reason: str,
    now: datetime,
) -> ClinicEntry:
    """Puts a patient a case-finding search found at the end of an open clinic's list; ``clinic`` held."""
    _require_open(clinic, "takes no more patients")
    return await _append_entry(
        session,
        clinic=clinic,
        author=author,
        nhs_number=nhs_number,
        practice_ods=practice_ods,
        advice_request_id=None,
        reason=reason,
        now=now,
    )


async def _append_entry(
    session: AsyncSession,
    *,
    clinic: Clinic,
    author: Principal,
    nhs_number: str,
    practice_ods: str,
    advice_request_id: str | None,
    reason: str | None,
    now: datetime,
) -> ClinicEntry:
    await _refuse_second_entry(session, clinic.id, nhs_number)
    entry = ClinicEntry(
        clinic_id=clinic.id,
        position=await _next_position(session, clinic.id),
        nhs_number=nhs_number,
        practice_ods=practice_ods,
        advice_request_id=advice_request_id,
        reason=reason,
        status=EntryStatus.WAITING.value,
        added_by=author.sub,
        added_at=now,
    )
    session.add(entry)
    try:
        await session.flush()
    except IntegrityError:
        # The clinic's row lock orders this service's writers; the constraints still stop any other writer.
        raise Conflict("the clinic's list changed while this was being saved; try again") from None
    return entry


def _require_open(clinic: Clinic, refusal: str) -> None:
    # A closed clinic's list is the record of the session as it ran, so it no longer changes.
    if clinic.status != ClinicStatus.OPEN.value:
        raise Conflict(f"the clinic is closed and {refusal}", current_status=clinic.status)


async def entry_on_list(session: AsyncSession, clinic: Clinic, entry_id: str) -> ClinicEntry:
    """The entry, if it is on this clinic's list; removed entries are still found, as they stay on record."""
    query = select(ClinicEntry).where(
        col(ClinicEntry.id) == entry_id, col(ClinicEntry.clinic_id) == clinic.id
    )
    entry = (await session.execute(query)).scalar_one_or_none()
    if entry is None:
        raise NotFound(f"no entry {entry_id} on this clinic's list")
    return entry


async def remove_clinic_entry(session: AsyncSession, *, clinic: Clinic, entry: ClinicEntry) -> ClinicEntry:
    """Takes the patient off an open clinic's list; ``clinic`` should be held for update.

    The entry is kept, marked removed, so the list shows who was on it; the patient may be put back as a new
    entry. Removing a removed entry again changes nothing, even once the clinic has closed, so a retried
    removal is not refused for what already happened.
    """
    if entry.status == EntryStatus.REMOVED.value:
        return entry
    _require_open(clinic, "its list no longer changes")
    entry.status = EntryStatus.REMOVED.value
    await session.flush()
    return entry


async def take_off_list(
    session: AsyncSession, *, viewer: Principal, clinic_id: str, entry_id: str, note: AuditNote
) -> ClinicEntry:
    """The API's and the page's removal: the clinic held, the entry found, the patient named to the audit
    before any refusal (so a refused removal is audited with them), then the entry marked removed."""
    clinic = await clinic_for(session, viewer, clinic_id, for_update=True)
    entry = await entry_on_list(session, clinic, entry_id)
    note.nhs_number = entry.nhs_number
    return await remove_clinic_entry(session, clinic=clinic, entry=entry)


async def close_clinic_for(session: AsyncSession, *, viewer: Principal, clinic_id: str) -> Clinic:
    """The API's and the page's closing: the clinic held for update, then closed."""
    return await close_clinic(session, clinic=await clinic_for(session, viewer, clinic_id, for_update=True))


async def close_clinic(session: AsyncSession, *, clinic: Clinic) -> Clinic:
    """Ends the session; closing a closed clinic changes nothing.

    The list then no longer changes, and its entries no longer give the specialty a relationship with their
    patients (``active_entry_in_specialty`` counts open clinics only).
    """
    if clinic.status != ClinicStatus.CLOSED.value:
        clinic.status = ClinicStatus.CLOSED.value
        await session.flush()
    return clinic


async def _open_request_for(session: AsyncSession, clinic: Clinic, advice_request_id: str) -> AdviceRequest:
    advice_request = await session.get(AdviceRequest, advice_request_id)
    if advice_request is None:
        raise Unprocessable(f"no advice request {advice_request_id}")
    if advice_request.specialty != clinic.specialty:
        raise Unprocessable(
            f"the advice request is for {advice_request.specialty}, not this clinic's {clinic.specialty}"
        )
    if AdviceStatus(advice_request.status) in TERMINAL_STATUSES:
        raise Conflict(
            f"the advice request is {advice_request.status}; only an open request can join a clinic",
            current_status=advice_request.status,
        )
    return advice_request


async def _refuse_second_entry(session: AsyncSession, clinic_id: str, nhs_number: str) -> None:
    query = select(col(ClinicEntry.id)).where(
        col(ClinicEntry.clinic_id) == clinic_id,
        col(ClinicEntry.nhs_number) == nhs_number,
        col(ClinicEntry.status) != EntryStatus.REMOVED.value,
    )
    existing = (await session.execute(query)).scalar_one_or_none()
    if existing is not None:
        raise Conflict("the patient is already on this clinic's list", entry_id=existing)


async def _next_position(session: AsyncSession, clinic_id: str) -> int:
    query = select(func.max(col(ClinicEntry.position))).where(col(ClinicEntry.clinic_id) == clinic_id)
    last: int | None = (await session.execute(query)).scalar_one()
    return (last or 0) + 1


def _entries_on_open_lists(specialty: str, nhs_number: str) -> RelationshipRows:
    # An entry made from an advice request is the practice's asking; one made by NHS number rests on the
    # consultant's reason, so it is found only when no entry from a request is.
    asked = col(ClinicEntry.advice_request_id).is_not(None)
    return (
        select(
            case((asked, 0), else_=2).label("rank"),
            col(ClinicEntry.reason).label("detail"),
            col(ClinicEntry.added_at).label("since"),
        )
        .join(Clinic, col(Clinic.id) == col(ClinicEntry.clinic_id))
        .where(
            col(Clinic.specialty) == specialty,
            col(Clinic.status) == ClinicStatus.OPEN.value,
            col(ClinicEntry.nhs_number) == nhs_number,
            col(ClinicEntry.status).in_([s.value for s in ACTIVE_ENTRY_STATUSES]),
        )
    )


def _entry_relationship(rank: int, reason: str | None) -> CareRelationship:
    if rank == 0:
        return ASKED_BY_PRACTICE
    return CareRelationship(consultant_initiated_reason=reason or "no reason recorded")


# The relationship a patient on the list of an open clinic of the consultant's specialty gives.
ENTRY_IN_SPECIALTY = RelationshipSource(_entries_on_open_lists, _entry_relationship)


async def active_entry_in_specialty(
    session: AsyncSession, specialty: str, nhs_number: str
) -> CareRelationship | None:
    """The relationship check: the patient is on the list of an open clinic of the consultant's specialty."""
    return await ENTRY_IN_SPECIALTY.first(session, specialty, nhs_number)


ADVISABLE = (EntryStatus.WAITING, EntryStatus.IN_PROGRESS, EntryStatus.UNAVAILABLE)


async def mark_patient_advised(session: AsyncSession, *, specialty: str, nhs_number: str) -> None:
    """Advice given for a patient marks them advised on the specialty's open clinic lists."""
    open_clinics = select(col(Clinic.id)).where(
        col(Clinic.specialty) == specialty, col(Clinic.status) == ClinicStatus.OPEN
    )
    await session.execute(
        update(ClinicEntry)
        .where(
            col(ClinicEntry.nhs_number) == nhs_number,
            col(ClinicEntry.clinic_id).in_(open_clinics),
            col(ClinicEntry.status).in_([status.value for status in ADVISABLE]),
        )
        .values(status=EntryStatus.ADVISED.value)
    )
