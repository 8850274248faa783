"""Every list the API pages through is read through an index, in order, on PostgreSQL at a realistic size.

Each service builds and runs its own query here; the statement it sent is captured and EXPLAINed as sent,
after ANALYZE, so the plans are the ones the service would get: no sequential scan of a table that grows with
use, and no sort, so a page costs its own rows and not the table's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.advice.models import AdviceRequest, AdviceResponse
from app.advice.service import list_advice_requests
from app.audit.models import AuditEvent
from app.audit.service import events_for_patient
from app.auth.principal import Principal, Role
from app.clinics.models import Clinic, ClinicEntry
from app.clinics.service import entries_of, list_clinics
from app.follow_up.checks import claim_checks
from app.follow_up.models import NO_DUE_DATE, TrackedAction
from app.follow_up.overdue import notify_overdue
from app.follow_up.service import list_actions, overdue_counts
from app.outbox.claims import claim_due
from app.outbox.feed import encode_feed_cursor, feed_page
from app.outbox.models import DeliveryState, OutboxMessage
from schemas.api.advice import AdviceStatus
from schemas.api.clinics import ClinicStatus, EntryStatus
from schemas.api.follow_up import FollowUpStatus
from tests.outbox.factories import advice_message
from tests.support import databases

pytestmark = pytest.mark.postgres

ROWS = 10_000
SPECIALTIES = ("nephrology", "cardiology", "diabetes", "respiratory", "rheumatology")
PRACTICES = 200
PATIENTS = 2_000
CLINICS = 5_000
CLINICS_WITH_LISTS = 500
ENTRIES_PER_CLINIC = 20
# A patient's trail gains an event with every read of their record, so each here has a couple of hundred.
AUDITED_PATIENTS = 50
# A feed is paged once it holds more than a page: each of these practices has had hundreds of messages.
FEED_PRACTICES = 20
START = datetime(2024, 1, 1, tzinfo=UTC)
GROWING = {
    "advice_requests",
    "clinics",
    "clinic_entries",
    "audit_events",
    "outbox_messages",
    "follow_up_actions",
}
CONSULTANT = Principal(sub="dr-lee", role=Role.CONSULTANT, specialty="nephrology")
PRACTICE = Principal(sub="gp-1", role=Role.GP, ods="P00007")
ADMIN = Principal(sub="admin-1", role=Role.ADMIN)

Query = Callable[[AsyncSession], Awaitable[object]]


def _ods(number: int) -> str:
    return f"P{number % PRACTICES:05d}"


def _nhs(number: int) -> str:
    return f"9{number % PATIENTS:09d}"


def _advice_requests() -> Iterator[AdviceRequest]:
    for number in range(ROWS):
        created = START + timedelta(minutes=7 * number)
        yield AdviceRequest(
            nhs_number=_nhs(number),
            practice_ods=_ods(number),
            specialty=SPECIALTIES[number % len(SPECIALTIES)],
            question="Is this falling eGFR worth a referral?",
            urgency="routine",
            status=AdviceStatus.CLOSED if number < ROWS - 300 else AdviceStatus.AWAITING_REVIEW,
            created_by="gp-1",
            created_at=created,
            updated_at=created,
        )


def _clinics() -> Iterator[Clinic | ClinicEntry]:
    for number in range(CLINICS):
        clinic = Clinic(
            specialty=SPECIALTIES[number % len(SPECIALTIES)],
            clinic_date=date(2024, 1, 1) + timedelta(days=number // len(SPECIALTIES)),
            consultant_sub="dr-lee",
            consultant_name="Dr Lee",
            status=ClinicStatus.CLOSED,
            created_by="dr-lee",
            created_at=START + timedelta(hours=number),
        )
        yield clinic
        for position in range(ENTRIES_PER_CLINIC if number < CLINICS_WITH_LISTS else 0):
            yield ClinicEntry(
                clinic_id=clinic.id,
                position=position + 1,
                nhs_number=_nhs(number * ENTRIES_PER_CLINIC + position),
                practice_ods=_ods(position),
                status=EntryStatus.ADVISED,
                added_by="dr-lee",
                added_at=clinic.created_at,
            )


def _audit_events() -> Iterator[AuditEvent]:
    for number in range(ROWS):
        yield AuditEvent(
            occurred_at=START + timedelta(seconds=number),
            actor="dr-lee",
            role="consultant",
            nhs_number=_nhs(number % AUDITED_PATIENTS),
            purpose="direct care",
            action="GET /v1/patients/{nhs_number}/summaries/nephrology",
            outcome="success",
            status=200,
            request_id=f"request-{number}",
            previous_hash=f"{number:064x}",
            hash=f"{number + 1:064x}",
        )


def _outbox_messages() -> Iterator[OutboxMessage]:
    payload = advice_message().model_dump(mode="json")
    for number in range(ROWS):
        pending = number >= ROWS - 20
        yield OutboxMessage(
            id=f"message-{number}",
            advice_request_id=f"request-{number}",
            practice_ods=_ods(number % FEED_PRACTICES),
            channel="feed" if number % 2 else "mesh",
            payload=payload,
            status=DeliveryState.PENDING if pending else DeliveryState.ACKNOWLEDGED,
            next_attempt_at=START if pending else None,
            feed_sequence=number + 1,
            created_at=START + timedelta(minutes=number),
        )


def _follow_up_actions() -> Iterator[AdviceRequest | AdviceResponse | TrackedAction]:
    """A closed request per action batch, most actions long closed, a few open and due or overdue."""
    for number in range(ROWS // 10):
        created = START + timedelta(hours=number)
        request = AdviceRequest(
            id=f"follow-up-{number}",
            nhs_number=_nhs(number),
            practice_ods=_ods(number),
            specialty="nephrology",
            question="Falling eGFR",
            urgency="routine",
            status=AdviceStatus.CLOSED,
            created_by="gp-1",
            created_at=created,
            updated_at=created,
        )
        response = AdviceResponse(
            id=number + 1,
            advice_request_id=request.id,
            outcome="return-with-advice",
            recommendation="advice-only",
            advice="Repeat U&E",
            actions=[],
            consultant="dr-lee",
            message_id=f"follow-up-message-{number}",
            message_version=1,
            created_at=created,
        )
        yield request
        yield response
        for position in range(10):
            still_open = number >= ROWS // 10 - 20
            due = created.date() + timedelta(days=14 + position)
            yield TrackedAction(
                advice_request_id=request.id,
                response_id=number + 1,
                nhs_number=request.nhs_number,
                practice_ods=request.practice_ods,
                specialty="nephrology",
                code="repeat-ue-2-weeks",
                title="Repeat U&E in 2 weeks",
                due_date=due,
                due_sort=due if position else NO_DUE_DATE,
                status=FollowUpStatus.OPEN if still_open else FollowUpStatus.DONE,
                advised_at=created,
                next_check_at=created if still_open else None,
                overdue_notified_at=None if still_open else created,
            )


async def _load(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            for rows in (
                _advice_requests(),
                _clinics(),
                _audit_events(),
                _outbox_messages(),
                _follow_up_actions(),
            ):
                session.add_all(list(rows))
                await session.flush()
            await session.commit()
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def loaded(postgres_url: str) -> Iterator[str]:
    """The PostgreSQL database, its tables holding thousands of rows and their statistics up to date."""
    databases.reset_postgres(postgres_url)
    asyncio.run(_load(postgres_url))
    yield postgres_url
    databases.reset_postgres(postgres_url)


async def _plan_of_select(url: str, query: Query, *, nth: int = 0) -> dict[str, Any]:
    """The plan of the service's ``nth`` SELECT, EXPLAINed as it was sent; the service's writes roll back."""
    engine = create_async_engine(url)
    try:
        return await _explained(engine, query, nth)
    finally:
        await engine.dispose()


async def _explained(engine: AsyncEngine, query: Query, nth: int) -> dict[str, Any]:
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    async with engine.connect() as connection:
        event.listen(connection.sync_connection, "before_cursor_execute", capture)
        try:
            async with AsyncSession(bind=connection) as session:
                await query(session)
                await session.rollback()
        finally:
            event.remove(connection.sync_connection, "before_cursor_execute", capture)
        statement, parameters = sent[nth]
        explained = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan: dict[str, Any] = explained.scalar_one()[0]["Plan"]
        await connection.rollback()
    return plan


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _described(plan: dict[str, Any]) -> str:
    """The plan one node a line: its type, table, index and conditions, enough to see why it failed."""
    keys = ("Relation Name", "Index Name", "Index Cond", "Filter", "Sort Key")
    return "\n".join(
        " ".join([node["Node Type"], *(f"{key}={node[key]}" for key in keys if key in node)])
        for node in _nodes(plan)
    )


def _assert_indexed(plan: dict[str, Any]) -> None:
    scanned = [node.get("Relation Name") for node in _nodes(plan) if node["Node Type"] == "Seq Scan"]
    assert [table for table in scanned if table in GROWING] == [], _described(plan)


def _assert_indexed_in_order(plan: dict[str, Any]) -> None:
    _assert_indexed(plan)
    assert [node for node in _nodes(plan) if "Sort" in node["Node Type"]] == [], _described(plan)


KEYSET_PAGES: dict[str, Query] = {
    "consultant's advice requests": lambda s: list_advice_requests(s, viewer=CONSULTANT, limit=20),
    "consultant's advice requests awaiting review": lambda s: list_advice_requests(
        s, viewer=CONSULTANT, status=AdviceStatus.AWAITING_REVIEW, limit=20
    ),
    "practice's advice requests": lambda s: list_advice_requests(s, viewer=PRACTICE, limit=20),
    "every advice request": lambda s: list_advice_requests(s, viewer=ADMIN, limit=20),
    "practice feed": lambda s: feed_page(s, "P00007", after=encode_feed_cursor(5_000), limit=50),
    "practice's follow-up actions": lambda s: list_actions(
        s, viewer=PRACTICE, practice_ods="P00007", limit=20
    ),
    "practice's open follow-up actions": lambda s: list_actions(
        s, viewer=PRACTICE, practice_ods="P00007", status=FollowUpStatus.OPEN, limit=20
    ),
    "consultant's view of a practice's follow-up actions": lambda s: list_actions(
        s, viewer=CONSULTANT, practice_ods="P00007", limit=20
    ),
    "a request's follow-up actions": lambda s: list_actions(
        s, viewer=ADMIN, advice_request_id="follow-up-7", limit=20
    ),
}
# Read whole or newest first up to a bound, not by cursor: a sort of the few rows an index finds is fine.
BOUNDED_LISTS: dict[str, Query] = {
    "consultant's clinics": lambda s: list_clinics(s, viewer=CONSULTANT),
    "consultant's clinics on a day": lambda s: list_clinics(s, viewer=CONSULTANT, on=date(2024, 2, 1)),
    "every clinic": lambda s: list_clinics(s, viewer=ADMIN),
    "patient's audit trail": lambda s: events_for_patient(s, _nhs(17), limit=50),
    "deliveries due": lambda s: claim_due(
        s, now=START + timedelta(days=1), lease=timedelta(minutes=5), limit=20, max_attempts=5
    ),
    "follow-up checks due": lambda s: claim_checks(
        s, due_by=START + timedelta(days=400), now=START, lease=timedelta(minutes=5), limit=20
    ),
    "overdue follow-up actions": lambda s: notify_overdue(s, today=date(2025, 6, 1), now=START, limit=20),
    "a worklist's overdue follow-up actions": lambda s: overdue_counts(
        s, specialty="nephrology", nhs_numbers=[_nhs(n) for n in range(20)], today=date(2025, 6, 1)
    ),
}


@pytest.mark.parametrize("name", KEYSET_PAGES)
async def test_a_keyset_page_reads_an_index_in_order(loaded: str, name: str) -> None:
    _assert_indexed_in_order(await _plan_of_select(loaded, KEYSET_PAGES[name]))


@pytest.mark.parametrize("viewer", [CONSULTANT, PRACTICE, ADMIN], ids=lambda viewer: viewer.role.value)
async def test_an_advice_list_next_page_starts_its_index_range_at_the_cursor(
    loaded: str, viewer: Principal
) -> None:
    async def second_page(session: AsyncSession) -> None:
        first, cursor = await list_advice_requests(session, viewer=viewer, limit=20)
        assert (len(first), cursor is not None) == (20, True)
        await list_advice_requests(session, viewer=viewer, after=cursor, limit=20)

    plan = await _plan_of_select(loaded, second_page, nth=1)

    _assert_indexed_in_order(plan)
    conditions = [node.get("Index Cond", "") for node in _nodes(plan)]
    assert any("created_at" in condition for condition in conditions), _described(plan)


@pytest.mark.parametrize("name", BOUNDED_LISTS)
async def test_a_bounded_list_is_read_through_an_index(loaded: str, name: str) -> None:
    _assert_indexed(await _plan_of_select(loaded, BOUNDED_LISTS[name]))


async def test_a_clinics_worklist_reads_its_entries_through_an_index(loaded: str) -> None:
    engine = create_async_engine(loaded)
    async with AsyncSession(engine) as session:
        clinic_id = (await list_clinics(session, viewer=CONSULTANT, on=date(2024, 1, 2)))[0].id
    await engine.dispose()

    plan = await _plan_of_select(loaded, lambda s: entries_of(s, clinic_id, active_only=True))

    _assert_indexed(plan)
