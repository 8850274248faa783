"""What an audited request costs the audit log: the old chain under one head lock against concurrent appends.

Run: ``python -m bench.audit_append`` (PostgreSQL at 127.0.0.1:5432, user postgres, as the tests use). A
database of its own is made and dropped. For each design it measures the statements and the time to record a
worklist of 30 patients, and how many single-event appends a second 1 and 8 concurrent appenders reach in a
bounded time. The old design is kept here only as a reference: the head row locked ``FOR UPDATE`` for each
event, the event inserted with its link, the head updated. The new one runs with its sealer sealing every
``SEAL_INTERVAL`` seconds, and the largest unsealed tail seen is reported.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.chain import GENESIS_HASH, event_hash, head_signature
from app.audit.models import AuditChainHead, AuditEvent, fitted_to_columns
from app.audit.sealer import AuditSealer
from app.audit.service import AuditLog, AuditNote, Outcome, verify_chain
from app.auth.principal import Principal, Role
from app.core.config import Settings
from app.core.db import create_engine, session_factory
from app.migrations.runner import migrate_to_head

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
WORKLIST = 30
WORKLIST_ROUNDS = 40
APPEND_SECONDS = 4.0
SEAL_INTERVAL = 1.0
CALLER = Principal(sub="dr-lee", role=Role.CONSULTANT, specialty="nephrology")
Record = Callable[[AuditLog, int], Awaitable[None]]


@contextmanager
def _database() -> Iterator[str]:
    name = f"vclinic_bench_audit_{os.getpid()}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _outcomes(count: int) -> list[Outcome]:
    return [
        Outcome(
            AuditNote(purpose="clinic worklist", action="GET /x", nhs_number="9434765919"), "success", 200
        )
        for _ in range(count)
    ]


async def _old_chain_append(audit_log: AuditLog, session: AsyncSession, outcome: Outcome) -> None:
    """The append before batches: the whole service in line for one row."""
    head = (
        await session.execute(select(AuditChainHead).where(col(AuditChainHead.id) == 1).with_for_update())
    ).scalar_one()
    note = outcome.note
    stored = fitted_to_columns(
        AuditEvent(
            occurred_at=datetime.now(UTC),
            actor=CALLER.sub,
            role=CALLER.role.value,
            specialty=CALLER.specialty,
            nhs_number=note.nhs_number,
            purpose=note.purpose,
            action=note.action,
            outcome=outcome.outcome,
            status=outcome.status,
            request_id="bench",
            previous_hash=head.last_hash,
            hash="",
        )
    )
    stored.hash = event_hash(stored, audit_log.key)
    head.length += 1
    head.last_hash = stored.hash
    head.signature = head_signature(head.length, head.last_hash, audit_log.key)
    session.add(stored)
    session.add(head)
    await session.flush()


async def _old_design(audit_log: AuditLog, count: int) -> None:
    async with audit_log.unit_of_work() as session:
        for outcome in _outcomes(count):
            await _old_chain_append(audit_log, session, outcome)


async def _new_design(audit_log: AuditLog, count: int) -> None:
    async with audit_log.unit_of_work() as session:
        await audit_log.append_all(session, principal=CALLER, request_id="bench", outcomes=_outcomes(count))


async def _worklist_cost(audit_log: AuditLog, record: Record) -> tuple[int, float]:
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    engine = audit_log.factory.kw["bind"]
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    await record(audit_log, WORKLIST)
    event.remove(engine.sync_engine, "before_cursor_execute", count)
    times = []
    for _ in range(WORKLIST_ROUNDS):
        started = time.perf_counter()
        await record(audit_log, WORKLIST)
        times.append(time.perf_counter() - started)
    # Each unit of work also sends BEGIN and COMMIT, which the statement count leaves out.
    return len(sent), statistics.median(times) * 1000


async def _appends_per_second(audit_log: AuditLog, record: Record, appenders: int) -> float:
    deadline = time.perf_counter() + APPEND_SECONDS
    done = 0

    async def appender() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await record(audit_log, 1)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(appender() for _ in range(appenders)))
    return done / (time.perf_counter() - started)


async def _start_the_batch_chain(audit_log: AuditLog) -> None:
    """What migration 0008 does to a database the old design wrote to: the head starts the batch chain."""
    async with audit_log.factory() as session, session.begin():
        head = (await session.execute(select(AuditChainHead))).scalar_one()
        head.length, head.last_hash, head.signature = 0, GENESIS_HASH, None


async def _measure(url: str) -> list[tuple[str, str, str, str, str]]:
    settings = Settings(dev_mode=True, database_url=url)
    engine = create_engine(settings)
    audit_log = AuditLog.from_settings(settings, session_factory(engine))
    rows = []
    old_statements, old_ms = await _worklist_cost(audit_log, _old_design)
    old_rates = [await _appends_per_second(audit_log, _old_design, n) for n in (1, 8)]
    await _start_the_batch_chain(audit_log)
    new_statements, new_ms = await _worklist_cost(audit_log, _new_design)
    sealer = AuditSealer(audit_log, interval_seconds=SEAL_INTERVAL)
    await sealer.seal_round()
    stop = asyncio.Event()
    sealing = asyncio.create_task(sealer.run(stop))
    widest_tail = 0.0

    async def watch_tail() -> None:
        nonlocal widest_tail
        while not stop.is_set():
            widest_tail = max(widest_tail, (await sealer.observe_tail()).age_seconds(datetime.now(UTC)))
            await asyncio.sleep(0.1)

    watching = asyncio.create_task(watch_tail())
    new_rates = [await _appends_per_second(audit_log, _new_design, n) for n in (1, 8)]
    stop.set()
    await asyncio.gather(sealing, watching)
    await sealer.seal_round()
    async with audit_log.factory() as session:
        verdict = await verify_chain(session, audit_log.key)
    await engine.dispose()
    rows.append(("old: head row locked per event", str(old_statements), f"{old_ms:.1f}", *_rates(old_rates)))
    rows.append(("new: one insert, sealed after", str(new_statements), f"{new_ms:.1f}", *_rates(new_rates)))
    print(
        f"sealer: widest unsealed tail {widest_tail:.2f} s at a {SEAL_INTERVAL:.1f} s interval; "
        f"verify after: {'intact' if verdict.intact else 'BROKEN'}, {verdict.batches} batches, "
        f"{verdict.unsealed} unsealed"
    )
    return rows


def _rates(rates: list[float]) -> tuple[str, str]:
    return f"{rates[0]:.0f}", f"{rates[1]:.0f}"


def main() -> None:
    with _database() as url:
        migrate_to_head(Settings(dev_mode=True, database_url=url))
        rows = asyncio.run(_measure(url))
    header = ("design", "statements / worklist of 30", "ms / worklist of 30", "appends/s, 1", "appends/s, 8")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
