"""A run's findings, and a practice's register, are read through their indexes in order on PostgreSQL at a
realistic size: a page costs its own rows, not the table's."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.case_finding.models import CaseFindingRecord, CaseFindingRun, FindingStatus, RunStatus
from app.case_finding.service import findings_page, practice_register
from app.core.cursors import encode_cursor
from tests.support import databases

pytestmark = pytest.mark.postgres

RUNS = 40
# Monthly runs of many practices over the years: the runs table grows too.
EARLIER_RUNS = 3_000
FINDINGS_PER_RUN = 250
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _rows() -> Iterator[CaseFindingRun | CaseFindingRecord]:
    for number in range(EARLIER_RUNS):
        yield CaseFindingRun(
            practice_ods=f"P{number % 400:05d}",
            specialty="nephrology",
            status=RunStatus.DONE.value,
            requested_by="schedule",
            requested_role="admin",
            created_at=NOW - timedelta(days=30 * (1 + number // 400)),
        )
    for run_number in range(RUNS):
        run = CaseFindingRun(
            practice_ods=f"P{run_number:05d}",
            specialty="nephrology",
            status=RunStatus.DONE.value,
            requested_by="schedule",
            requested_role="admin",
            created_at=NOW,
        )
        yield run
        for number in range(FINDINGS_PER_RUN):
            yield CaseFindingRecord(
                practice_ods=run.practice_ods,
                specialty="nephrology",
                nhs_number=f"9{run_number:04d}{number:05d}",
                status=FindingStatus.NEW.value,
                run_id=run.id,
                rules=[{"code": "acr-70-or-more", "title": "ACR", "evidence": "ACR 80", "coding_gap": False}],
                coding_gap=number % 7 == 0,
                first_found_at=NOW,
                last_found_at=NOW,
            )


@pytest.fixture(scope="module")
def loaded(postgres_url: str) -> Iterator[tuple[str, str]]:
    databases.reset_postgres(postgres_url)
    rows = list(_rows())
    run_id = next(row.run_id for row in rows if isinstance(row, CaseFindingRecord))

    async def load() -> None:
        engine = create_async_engine(postgres_url)
        try:
            async with AsyncSession(engine) as session:
                session.add_all(rows)
                await session.commit()
            async with engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        finally:
            await engine.dispose()

    asyncio.run(load())
    yield postgres_url, run_id
    databases.reset_postgres(postgres_url)


async def _plans(url: str, query: Callable[[AsyncSession], Awaitable[object]]) -> list[str]:
    """Every SELECT the service sent, EXPLAINed as sent: one line per plan node."""
    engine = create_async_engine(url)
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    try:
        async with engine.connect() as connection:
            event.listen(connection.sync_connection, "before_cursor_execute", capture)
            async with AsyncSession(bind=connection) as session:
                await query(session)
            event.remove(connection.sync_connection, "before_cursor_execute", capture)
            lines = []
            for statement, parameters in sent:
                explained = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                lines += [str(line) for line in explained.scalars()]
            return lines
    finally:
        await engine.dispose()


async def test_a_runs_findings_page_reads_its_index_in_order(loaded: tuple[str, str]) -> None:
    url, run_id = loaded

    async def second_page(session: AsyncSession) -> None:
        run = await session.get(CaseFindingRun, run_id)
        assert run is not None
        await findings_page(session, run, after=encode_cursor("finding:" + "0" * 32), limit=50)

    plan = "\n".join(await _plans(url, second_page))
    assert "ix_case_findings_run" in plan, plan
    assert "Seq Scan on case_findings" not in plan, plan
    assert "Sort" not in plan, plan


async def test_the_practice_register_reads_through_indexes(loaded: tuple[str, str]) -> None:
    url, _ = loaded
    plan = "\n".join(await _plans(url, lambda session: practice_register(session, "P00007", limit=500)))
    assert "Seq Scan on case_findings" not in plan, plan
    assert "Seq Scan on case_finding_runs" not in plan, plan
