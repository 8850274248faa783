"""The sealer seals every committed event exactly once, in id order, whatever happens to a sealer part-way."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlmodel import col

from app.audit.models import AuditBatch, AuditEvent
from app.audit.sealer import AuditSealer
from app.audit.service import AuditLog, AuditNote, Outcome, verify_chain
from app.auth.principal import Principal, Role

CALLER = Principal(sub="dr-lee", role=Role.CONSULTANT, specialty="nephrology")
ROOT = Path(__file__).resolve().parents[2]


async def _append(audit_log: AuditLog, count: int = 1, purpose: str = "read a summary") -> None:
    outcomes = [Outcome(AuditNote(purpose=purpose, action="GET /x"), "success", 200) for _ in range(count)]
    async with audit_log.unit_of_work() as session:
        await audit_log.append_all(session, principal=CALLER, request_id="req-1", outcomes=outcomes)


async def _each_event_in_exactly_one_batch(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        ids = list((await session.execute(select(col(AuditEvent.id)).order_by(col(AuditEvent.id)))).scalars())
        batches = list((await session.execute(select(AuditBatch).order_by(col(AuditBatch.id)))).scalars())
        verdict = await verify_chain(session, app.state.audit_log.key)
    assert verdict.intact, verdict.problems
    assert verdict.unsealed == 0
    sealed = [i for batch in batches for i in ids if batch.first_event_id <= i <= batch.last_event_id]
    assert sealed == ids
    assert sum(batch.event_count for batch in batches) == len(ids)


def _skip_unless_postgres(app: FastAPI) -> None:
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("what this pins is PostgreSQL's: concurrent transactions and a killed connection")


async def test_a_requests_events_go_in_one_insert(app: FastAPI) -> None:
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # The outbox dispatcher polls meanwhile; only the append's statements count.
        if "audit_events" in statement or "advisory" in statement:
            sent.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
    try:
        await _append(app.state.audit_log, 30)
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", record)
    inserts = [statement for statement in sent if statement.startswith("INSERT")]
    assert len(inserts) == 1
    assert len(sent) <= 2


async def test_a_round_seals_what_is_committed_in_batches_of_at_most_max_batch(app: FastAPI) -> None:
    audit_log: AuditLog = app.state.audit_log
    for _ in range(4):
        await _append(audit_log, 3)
    sealer = AuditSealer(audit_log, interval_seconds=1.0, max_batch=5)
    assert await sealer.seal_round() == 12
    assert await sealer.seal_round() == 0
    async with app.state.session_factory() as session:
        counts = list((await session.execute(select(col(AuditBatch.event_count)))).scalars())
    assert sorted(counts) == [2, 5, 5]
    await _each_event_in_exactly_one_batch(app)
    assert (await sealer.observe_tail()).events == 0


async def test_an_aborted_seal_seals_nothing_and_the_next_seals_it_all(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_log: AuditLog = app.state.audit_log
    await _append(audit_log, 5)

    def failing(*_args: object) -> str:
        raise RuntimeError("the sealer stops here")

    with monkeypatch.context() as patched:
        patched.setattr("app.audit.sealer.batch_hash", failing)
        with pytest.raises(RuntimeError):
            await AuditSealer(audit_log, interval_seconds=1.0).seal_round()
    async with app.state.session_factory() as session:
        assert list((await session.execute(select(AuditBatch))).scalars()) == []
    assert await AuditSealer(audit_log, interval_seconds=1.0).seal_round() == 5
    await _each_event_in_exactly_one_batch(app)


async def test_an_event_in_flight_holds_back_the_seal_of_later_ids(app: FastAPI) -> None:
    _skip_unless_postgres(app)
    audit_log: AuditLog = app.state.audit_log
    sealer = AuditSealer(audit_log, interval_seconds=1.0, barrier_timeout_seconds=0.3)
    in_flight = audit_log.unit_of_work()
    session = await in_flight.__aenter__()
    outcome = Outcome(AuditNote(purpose="slow", action="GET /x"), "success", 200)
    await audit_log.append_all(session, principal=CALLER, request_id="slow", outcomes=[outcome])
    await _append(audit_log, 2)
    assert await sealer.seal_round() == 0
    await in_flight.__aexit__(None, None, None)
    assert await sealer.seal_round() == 3
    await _each_event_in_exactly_one_batch(app)


_KILLABLE_SEALER = """
import asyncio, sys, time
import app.audit.sealer as sealer_module
from app.audit.service import AuditLog
from app.audit.sealer import AuditSealer
from app.core.config import Settings
from app.core.db import create_engine, session_factory

real = sealer_module.batch_hash

def announce_then_hang(batch, key):
    print("read and about to commit", flush=True)
    time.sleep(600)
    return real(batch, key)

sealer_module.batch_hash = announce_then_hang
settings = Settings(dev_mode=True, database_url=sys.argv[1], audit_key=sys.argv[2])
audit_log = AuditLog.from_settings(settings, session_factory(create_engine(settings)))
asyncio.run(AuditSealer(audit_log, interval_seconds=1.0).seal_round())
"""


async def test_a_sealer_killed_between_its_read_and_its_commit_loses_and_doubles_nothing(
    app: FastAPI,
) -> None:
    _skip_unless_postgres(app)
    audit_log: AuditLog = app.state.audit_log
    await _append(audit_log, 7)
    settings = app.state.settings
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _KILLABLE_SEALER,
        settings.database_url,
        settings.audit_key.get_secret_value(),
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
        assert line.strip() == b"read and about to commit"
        await _append(audit_log, 2)
    finally:
        child.send_signal(signal.SIGKILL)
        await asyncio.wait_for(child.wait(), timeout=30)
    successor = AuditSealer(audit_log, interval_seconds=1.0)
    sealed = 0
    for _ in range(100):
        sealed += await successor.seal_round()
        if sealed == 9:
            break
        await asyncio.sleep(0.1)
    assert sealed == 9
    await _each_event_in_exactly_one_batch(app)


async def test_many_appenders_while_two_sealers_run_leave_every_event_sealed_once(app: FastAPI) -> None:
    _skip_unless_postgres(app)
    audit_log: AuditLog = app.state.audit_log
    stop = asyncio.Event()
    sealers = [AuditSealer(audit_log, interval_seconds=0.02) for _ in range(2)]
    running = [asyncio.create_task(sealer.run(stop)) for sealer in sealers]

    async def appender() -> None:
        for _ in range(15):
            await _append(audit_log, 3)

    await asyncio.gather(*(appender() for _ in range(8)))
    stop.set()
    await asyncio.gather(*running)
    await sealers[0].seal_round()
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, audit_log.key)
    assert verdict.events == 8 * 15 * 3
    await _each_event_in_exactly_one_batch(app)
