"""The monthly schedule queues one run per agreeing practice and specialty, once a month; `vclinic case-find`
runs one in the foreground, showing its progress, and prints what it found."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from adapters.demo import DEMO_PATIENTS
from app.case_finding.models import CaseFindingRun
from app.case_finding.pipeline import RunProgress
from app.case_finding.progress import progress_line
from app.case_finding.wiring import build_case_finding_worker
from app.case_finding.worker import CaseFindingWorker
from app.cli import main
from app.core.config import Settings, get_settings
from app.core.db import create_engine, session_factory
from app.specialties.registry import SPECIALTIES, analyte_catalogue
from tests.case_finding.case_finding_calls import PRACTICE


@pytest.fixture
def settings_cache() -> Iterator[None]:
    yield
    get_settings.cache_clear()


def _worker(app: FastAPI, *, day: int | None, now: datetime) -> CaseFindingWorker:
    settings = app.state.settings.model_copy(update={"case_finding_schedule_day": day})
    return build_case_finding_worker(
        settings,
        app.state.audit_log,
        app.state.practices.practices,
        catalogue=analyte_catalogue(),
        specialty_settings=app.state.specialty_settings,
        clock=lambda: now,
    )


async def _runs(app: FastAPI) -> list[tuple[str, str]]:
    async with app.state.session_factory() as session:
        runs = (await session.execute(select(CaseFindingRun))).scalars().all()
    return sorted((run.practice_ods, run.specialty) for run in runs)


async def test_the_schedule_queues_each_agreeing_practice_once_a_month(cf_app: FastAPI) -> None:
    before_the_day = _worker(cf_app, day=5, now=datetime(2026, 11, 4, 9, tzinfo=UTC))
    on_the_day = _worker(cf_app, day=5, now=datetime(2026, 11, 5, 9, tzinfo=UTC))
    next_month = _worker(cf_app, day=5, now=datetime(2026, 12, 5, 9, tzinfo=UTC))
    unscheduled = _worker(cf_app, day=None, now=datetime(2026, 12, 5, 9, tzinfo=UTC))

    assert await before_the_day.queue_scheduled() == 0
    assert await on_the_day.queue_scheduled() == len(SPECIALTIES)
    assert await on_the_day.queue_scheduled() == 0
    assert await unscheduled.queue_scheduled() == 0
    assert await next_month.queue_scheduled() == len(SPECIALTIES)
    # The practice without case_finding is never searched.
    assert await _runs(cf_app) == sorted([(PRACTICE, code) for code in SPECIALTIES] * 2)


def test_case_find_runs_in_the_foreground_and_prints_a_table_of_findings(
    cf_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings_cache: None,
) -> None:
    monkeypatch.setenv("VCLINIC_DEV_MODE", "true")
    monkeypatch.setenv("VCLINIC_DATABASE_URL", cf_settings.database_url)
    monkeypatch.setenv("VCLINIC_PRACTICES_FILE", str(cf_settings.practices_file))
    monkeypatch.setenv("VCLINIC_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()

    assert main(["case-find", "--practice", PRACTICE, "--specialty", "nephrology"]) == 0

    out = capsys.readouterr().out
    assert f"{len(DEMO_PATIENTS)} patients scanned" in out
    assert "NHS number" in out
    assert ": done," in out

    # The next run reads on from the first with _since (the mock sends every resource without
    # meta.lastUpdated, so every patient is read again); --full reads the whole population.
    assert main(["case-find", "--practice", PRACTICE, "--specialty", "nephrology"]) == 0
    assert main(["case-find", "--practice", PRACTICE, "--specialty", "nephrology", "--full"]) == 0
    assert [(run.full, run.since is None) for run in asyncio.run(_ended_runs(cf_settings))] == [
        (False, True),
        (False, False),
        (True, True),
    ]


async def _ended_runs(settings: Settings) -> list[CaseFindingRun]:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session:
            query = select(CaseFindingRun).order_by(col(CaseFindingRun.created_at))
            return list((await session.execute(query)).scalars())
    finally:
        await engine.dispose()


def test_the_progress_line_gives_patients_rate_and_time_left() -> None:
    progress = RunProgress(phase="rules", patients_total=1000, patients_scanned=250, findings=12)
    assert progress_line(progress, 5.0) == "rules: 250 / 1,000 patients, 50/s, about 15 s left, 12 found"
