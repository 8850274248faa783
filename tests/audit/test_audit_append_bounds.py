"""No value a caller sends can keep an access from being recorded, and a failed append leaves no false gap."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.audit.models import CUT_MARK, AuditEvent
from app.audit.service import AuditLog, AuditNote, Outcome, verify_chain
from app.auth.principal import Principal, Role
from app.core.config import Settings

PATIENT = "9434765919"
HOSTILE_CALLER = Principal(
    sub="s" * 300, role=Role.CONSULTANT, specialty="nephro\x00logy" + "y" * 100, ods="O" * 40
)


class _Abandoned(Exception):
    pass


async def _append(audit_log: AuditLog, principal: Principal, note: AuditNote) -> None:
    async with audit_log.unit_of_work() as session:
        await audit_log.append(
            session, principal=principal, note=note, outcome="success", status=200, request_id="r" * 100
        )


async def _append_then_abandon(audit_log: AuditLog, caller: Principal) -> None:
    async with audit_log.unit_of_work() as session:
        note = AuditNote(purpose="abandoned", action="GET /x")
        await audit_log.append(
            session, principal=caller, note=note, outcome="success", status=200, request_id="r-2"
        )
        raise _Abandoned


async def _verdict(app: FastAPI, settings: Settings) -> tuple[bool, int, list[str]]:
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
    return verdict.intact, verdict.events, verdict.problems


async def _events(app: FastAPI) -> list[AuditEvent]:
    async with app.state.session_factory() as session:
        return list((await session.execute(select(AuditEvent).order_by(col(AuditEvent.id)))).scalars())


async def test_over_long_and_control_values_are_bounded_not_refused(app: FastAPI, settings: Settings) -> None:
    note = AuditNote(purpose="p" * 300, action="GET /x", nhs_number=PATIENT, break_glass_reason="b" * 600)
    await _append(app.state.audit_log, HOSTILE_CALLER, note)
    [event] = await _events(app)
    assert event.actor == "s" * 199 + CUT_MARK
    assert event.specialty == "nephro\ufffdlogy" + "y" * 52 + CUT_MARK
    assert event.organisation == "O" * 31 + CUT_MARK
    assert (len(event.purpose), len(event.request_id), len(event.break_glass_reason or "")) == (200, 64, 500)
    assert event.nhs_number == PATIENT
    assert await _verdict(app, settings) == (True, 1, [])


@pytest.mark.parametrize("nhs_number", ["99900010060", "999000100", "9434765918", "٩٤٣٤٧٦٥٩١٩", "\x00"])
async def test_a_value_that_is_no_nhs_number_names_no_patient(
    app: FastAPI, settings: Settings, nhs_number: str
) -> None:
    note = AuditNote(purpose="read a specialty summary", action="GET /x", nhs_number=nhs_number)
    await _append(app.state.audit_log, Principal(sub="dr-lee", role=Role.ADMIN), note)
    [event] = await _events(app)
    assert event.nhs_number is None
    assert (await _verdict(app, settings))[0]


async def test_a_rolled_back_append_leaves_no_false_gap(app: FastAPI, settings: Settings) -> None:
    audit_log: AuditLog = app.state.audit_log
    caller = Principal(sub="admin-1", role=Role.ADMIN)
    await _append(audit_log, caller, AuditNote(purpose="first", action="GET /x"))
    with pytest.raises(_Abandoned):
        await _append_then_abandon(audit_log, caller)
    await _append(audit_log, caller, AuditNote(purpose="third", action="GET /x"))
    events = await _events(app)
    assert [event.purpose for event in events] == ["first", "third"]
    if app.state.engine.dialect.name == "postgresql":
        # The sequence value the rollback spent is gone for good: the ids are 1 and 3.
        assert [event.id for event in events] == [1, 3]
    assert await _verdict(app, settings) == (True, 2, [])


async def test_many_events_in_one_append_keep_each_value_and_their_order(
    app: FastAPI, settings: Settings
) -> None:
    patients = ["9434765919", None, "9990001154"]
    notes = [
        AuditNote(purpose=f"read {n}", action="GET /x", nhs_number=patient, break_glass_reason=reason)
        for n, (patient, reason) in enumerate(zip(patients, [None, "unconscious in A&E", None], strict=True))
    ]
    notes[2].consultant_initiated("eGFR falling on the monthly search")
    outcomes = [
        Outcome(note, outcome, status)
        for note, (outcome, status) in zip(
            notes, [("success", 200), ("denied", 403), ("failed", 504)], strict=True
        )
    ]
    caller = Principal(sub="dr-lee", role=Role.CONSULTANT, specialty="nephrology")
    async with app.state.audit_log.unit_of_work() as session:
        await app.state.audit_log.append_all(
            session, principal=caller, request_id="req-many", outcomes=outcomes
        )
    events = await _events(app)
    assert [(e.purpose, e.nhs_number, e.outcome, e.status) for e in events] == [
        ("read 0", "9434765919", "success", 200),
        ("read 1", None, "denied", 403),
        ("read 2", "9990001154", "failed", 504),
    ]
    assert [e.break_glass_reason for e in events] == [None, "unconscious in A&E", None]
    assert [e.access_basis for e in events] == [None, None, "consultant-initiated"]
    assert {e.request_id for e in events} == {"req-many"}
    assert len({e.occurred_at for e in events}) == 1
    assert await _verdict(app, settings) == (True, 3, [])
