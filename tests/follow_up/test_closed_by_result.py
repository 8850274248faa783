"""Test-tied actions close by themselves once the GP record holds a matching result dated after the advice.

The practice is the mock GP, serving the patient's record before the repeat test and then after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.mock_gp import running_mock_gp
from app.audit.models import AuditEvent
from app.cli import main
from app.core.config import Settings, get_settings
from app.follow_up.checks import CLOSE_PURPOSE
from app.follow_up.wiring import check_follow_up_once
from app.main import create_app
from tests.follow_up.follow_up_calls import REPEAT_UE, REPEAT_UE_ACR, advised_with
from tests.support import fhir_factory as fhir
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file

PRACTICE = "A11111"
NHS_NUMBER = "9434765919"
PATIENT_ID = f"pat-{NHS_NUMBER}"
TODAY = datetime.now(UTC).date()


def _results(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """The patient with a creatinine and ACR from two months before the advice, and any later results."""
    before = str(TODAY - timedelta(days=60))
    return [
        fhir.patient(NHS_NUMBER, birth_date="1953-02-19", gender="male"),
        fhir.result(PATIENT_ID, 1, fhir.UK["creatinine"], before, 152.0),
        fhir.result(PATIENT_ID, 2, fhir.UK["acr"], before, 4.2),
        *extra,
    ]


@contextmanager
def _practice(
    tmp_path: Path, name: str, settings: Settings, resources: list[dict[str, Any]]
) -> Iterator[Settings]:
    """The mock GP serving ``resources``, and the settings of a service connected to it."""
    data = tmp_path / name / "data"
    fhir.write_bundle(data, resources)
    with running_mock_gp(data) as base_url:
        path = practices_file(
            tmp_path / name / "config", base_url=base_url, patients={NHS_NUMBER: PRACTICE}, ods=PRACTICE
        )
        yield settings.model_copy(update={"practices_file": path})


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        yield client


async def _action(client: httpx.AsyncClient, identity: IdentityProvider, action_id: str) -> dict[str, Any]:
    response = await client.get(
        f"/v1/follow-up-actions/{action_id}", headers=bearer(identity.practice(ods=PRACTICE))
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def _advised(settings: Settings, identity: IdentityProvider) -> list[dict[str, Any]]:
    async with _client(settings) as client:
        _request_id, actions = await advised_with(
            client, identity, REPEAT_UE, REPEAT_UE_ACR, ods=PRACTICE, nhs_number=NHS_NUMBER
        )
    return actions


async def test_repeat_ue_closes_by_itself_once_the_practice_has_a_creatinine_dated_after_the_advice(
    settings: Settings, identity: IdentityProvider, tmp_path: Path
) -> None:
    with _practice(tmp_path, "before", settings, _results()) as before:
        ue, ue_acr = await _advised(before, identity)
        closed_before = await check_follow_up_once(before)
    tomorrow = str(TODAY + timedelta(days=1))
    after_resources = _results(fhir.result(PATIENT_ID, 3, fhir.UK["creatinine"], tomorrow, 149.0))
    with _practice(tmp_path, "after", settings, after_resources) as after:
        closed_after = await check_follow_up_once(after)
        async with _client(after) as client:
            ue_now = await _action(client, identity, ue["id"])
            ue_acr_now = await _action(client, identity, ue_acr["id"])

    assert (closed_before, closed_after) == (0, 1)
    assert (ue_now["status"], ue_now["closed_by"]) == ("closed-by-result", "follow-up-check")
    assert [(e["analyte"], e["taken_at"][:10]) for e in ue_now["evidence"]] == [("creatinine", tomorrow)]
    assert ue_acr_now["status"] == "open"  # the ACR has not been repeated


async def test_a_result_from_before_the_advice_closes_nothing(
    settings: Settings, identity: IdentityProvider, tmp_path: Path
) -> None:
    earlier_today = datetime.combine(TODAY, datetime.min.time(), UTC).isoformat()
    with _practice(
        tmp_path,
        "gp",
        settings,
        _results(fhir.result(PATIENT_ID, 3, fhir.UK["creatinine"], earlier_today, 150.0)),
    ) as practice:
        ue, _ue_acr = await _advised(practice, identity)
        closed = await check_follow_up_once(practice)
        async with _client(practice) as client:
            assert (await _action(client, identity, ue["id"]))["status"] == "open"
    assert closed == 0


async def test_reading_the_summary_closes_repeat_ue_and_acr_once_both_are_back_and_audits_it(
    settings: Settings, identity: IdentityProvider, tmp_path: Path
) -> None:
    with _practice(tmp_path, "before", settings, _results()) as before:
        _ue, ue_acr = await _advised(before, identity)
    later = str(TODAY + timedelta(days=2))
    repeats = (
        fhir.result(PATIENT_ID, 3, fhir.UK["egfr"], later, 41.0),
        fhir.result(PATIENT_ID, 4, fhir.UK["acr"], later, 3.9),
    )
    with _practice(tmp_path, "after", settings, _results(*repeats)) as after:
        async with _client(after) as client:
            summary = await client.get(
                f"/v1/patients/{NHS_NUMBER}/summaries/nephrology", headers=bearer(identity.consultant())
            )
            closed = await _action(client, identity, ue_acr["id"])
        engine_settings = after

    assert summary.status_code == 200, summary.text
    assert closed["status"] == "closed-by-result"
    assert sorted(e["analyte"] for e in closed["evidence"]) == ["acr", "egfr"]
    app = create_app(engine_settings)
    async with app.router.lifespan_context(app), app.state.session_factory() as session:
        actions = (
            (
                await session.execute(
                    select(AuditEvent.action).where(
                        AuditEvent.purpose == CLOSE_PURPOSE, AuditEvent.nhs_number == NHS_NUMBER
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(actions) == 2
    # The evidence names the analyte and the date, never the value.
    assert all(
        f"egfr of {later}, acr of {later}" in action or f"egfr of {later}" in action for action in actions
    )
    assert not any("mg/mmol" in action or "mL/min" in action for action in actions)


@pytest.fixture
def settings_cache() -> Iterator[None]:
    yield
    get_settings.cache_clear()


async def test_vclinic_follow_up_check_closes_what_the_record_shows_done_and_says_how_many(
    settings: Settings,
    identity: IdentityProvider,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings_cache: None,
) -> None:
    with _practice(tmp_path, "before", settings, _results()) as before:
        await _advised(before, identity)
    tomorrow = str(TODAY + timedelta(days=1))
    repeat = fhir.result(PATIENT_ID, 3, fhir.UK["creatinine"], tomorrow, 149.0)
    with _practice(tmp_path, "after", settings, _results(repeat)) as after:
        monkeypatch.setenv("VCLINIC_DEV_MODE", "true")
        monkeypatch.setenv("VCLINIC_DATABASE_URL", after.database_url)
        monkeypatch.setenv("VCLINIC_PRACTICES_FILE", str(after.practices_file))
        monkeypatch.setenv("VCLINIC_VAR_DIR", str(tmp_path / "var"))
        get_settings.cache_clear()
        exit_code = await asyncio.to_thread(main, ["follow-up", "check"])

    assert exit_code == 0
    assert "follow-up: 1 action(s) closed by result" in capsys.readouterr().out
