"""A finding's lifecycle across runs: new, dismissed with a reason (and left dismissed unless it grows worse),
resolved when a later run no longer finds it, and audited each time it is opened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.case_finding.models import CaseFindingRecord
from app.case_finding.pipeline import CaseFindingRunner, RunLimits
from app.case_finding.wiring import BulkPopulationExport
from app.specialties.base import CaseFinding, SummaryContext
from app.specialties.case_finding import met_referral_criteria
from app.specialties.nephrology.plugin import Nephrology
from app.specialties.registry import SPECIALTIES, analyte_catalogue
from schemas.api.summary import SpecialtySummary
from schemas.bulk import BulkLine, BulkLines
from schemas.clinical import ClinicalRecord
from tests.case_finding.case_finding_calls import PRACTICE, every_finding, start
from tests.clinics.clinic_calls import opened
from tests.support.fhir_factory import UK, patient, result
from tests.support.identity import IdentityProvider, bearer

DISMISSED_EARLY = "9434765919"
RECOVERS = "9434765870"


@dataclass(frozen=True)
class SeverityByCriteria(Nephrology):
    """Nephrology whose findings are as severe as the number of criteria the patient meets."""

    def case_findings(
        self, summary: SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        met = met_referral_criteria(summary)
        return tuple(replace(finding, severity=len(met)) for finding in met)


class PracticeToday(BulkPopulationExport):
    """The practice's population as the test sets it, read as a bulk export would be."""

    def __init__(self, app: FastAPI, population: list[dict[str, Any]]) -> None:
        super().__init__(app.state.practices.practices, settings=app.state.settings)
        self.population = population

    def export(self, practice_ods: str, resource_types: tuple[str, ...], **_: Any) -> Any:
        return self._listed()

    @asynccontextmanager
    async def _listed(self) -> AsyncIterator[AsyncIterator[BulkLines]]:
        async def batches() -> AsyncIterator[BulkLines]:
            yield [
                BulkLine(resource["resourceType"], orjson.dumps(resource), "population.ndjson", number)
                for number, resource in enumerate(self.population, 1)
            ]

        yield batches()


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


def _acr_only(nhs_number: str, acr: float) -> list[dict[str, Any]]:
    who = patient(nhs_number, birth_date="1960-01-01", gender="female")
    return [
        who,
        result(who["id"], 1, UK["acr"], _days_ago(30), acr),
        result(who["id"], 2, UK["egfr"], _days_ago(30), 70),
    ]


def _acr_and_falling_egfr(nhs_number: str) -> list[dict[str, Any]]:
    who = patient(nhs_number, birth_date="1960-01-01", gender="female")
    return [
        who,
        result(who["id"], 1, UK["acr"], _days_ago(30), 90),
        result(who["id"], 3, UK["egfr"], _days_ago(400), 50),
        result(who["id"], 4, UK["egfr"], _days_ago(30), 20),
    ]


@pytest.fixture
def worsening(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SPECIALTIES, "nephrology", SeverityByCriteria())


async def _run(app: FastAPI, client: httpx.AsyncClient, token: str, population: list[dict[str, Any]]) -> str:
    export = PracticeToday(app, population)
    runner = CaseFindingRunner(
        app.state.audit_log,
        export,
        catalogue=analyte_catalogue(),
        specialty_settings=app.state.specialty_settings,
        limits=RunLimits(lease=timedelta(seconds=30), max_attempts=3, ceiling_seconds=20, progress_every=1),
        clock=lambda: datetime.now(UTC),
    )
    run_id: str = (await start(client, token)).json()["id"]
    assert await runner.run_next() == run_id
    return run_id


async def _statuses(client: httpx.AsyncClient, token: str) -> dict[str, str]:
    register = await client.get(f"/v1/practices/{PRACTICE}/case-findings", headers=bearer(token))
    assert register.status_code == 200, register.text
    [nephrology] = register.json()["specialties"]
    return {f["nhs_number"]: f["status"] for f in nephrology["findings"]}


async def test_a_finding_is_dismissed_resolved_and_raised_again_only_when_worse(
    worsening: None, cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant, practice = identity.consultant(), identity.practice(PRACTICE)
    first = await _run(
        cf_app, cf_client, consultant, [*_acr_only(DISMISSED_EARLY, 80), *_acr_only(RECOVERS, 80)]
    )
    found = {f["nhs_number"]: f for f in await every_finding(cf_client, consultant, first)}
    assert set(found) == {DISMISSED_EARLY, RECOVERS}
    assert all(f["status"] == "new" for f in found.values())

    dismissed = await cf_client.post(
        f"/v1/case-finding/findings/{found[DISMISSED_EARLY]['id']}/dismiss",
        json={"reason": "known to renal, under annual review"},
        headers=bearer(consultant),
    )
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["status"] == "dismissed"
    again = await cf_client.post(
        f"/v1/case-finding/findings/{found[DISMISSED_EARLY]['id']}/dismiss",
        json={"reason": "twice"},
        headers=bearer(consultant),
    )
    assert again.status_code == 409

    await _run(cf_app, cf_client, consultant, [*_acr_only(DISMISSED_EARLY, 80), *_acr_only(RECOVERS, 1)])
    async with cf_app.state.session_factory() as session:
        rows = {r.nhs_number: r.status for r in (await session.execute(select(CaseFindingRecord))).scalars()}
    assert rows == {DISMISSED_EARLY: "dismissed", RECOVERS: "resolved"}
    assert await _statuses(cf_client, practice) == {}

    await _run(
        cf_app, cf_client, consultant, [*_acr_and_falling_egfr(DISMISSED_EARLY), *_acr_only(RECOVERS, 1)]
    )
    assert await _statuses(cf_client, practice) == {DISMISSED_EARLY: "new"}

    async with cf_app.state.session_factory() as session:
        opened = (
            (
                await session.execute(
                    select(AuditEvent.nhs_number).where(AuditEvent.purpose == "case finding raised a finding")
                )
            )
            .scalars()
            .all()
        )
    assert sorted(opened) == sorted([DISMISSED_EARLY, RECOVERS, DISMISSED_EARLY])


async def test_only_a_new_finding_goes_on_a_clinic_and_only_a_clinician_puts_it_there(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    run_id = await _run(cf_app, cf_client, consultant, _acr_only(DISMISSED_EARLY, 80))
    [finding] = await every_finding(cf_client, consultant, run_id)
    clinic_id = await opened(cf_client, identity.admin(), specialty="nephrology")
    path = f"/v1/case-finding/findings/{finding['id']}/add-to-clinic"
    by_practice = await cf_client.post(
        path, json={"clinic_id": clinic_id}, headers=bearer(identity.practice(PRACTICE))
    )
    assert by_practice.status_code == 403
    added = await cf_client.post(path, json={"clinic_id": clinic_id}, headers=bearer(consultant))
    assert added.status_code == 200, added.text
    twice = await cf_client.post(path, json={"clinic_id": clinic_id}, headers=bearer(consultant))
    assert twice.status_code == 409
    clinic = await cf_client.get(f"/v1/clinics/{clinic_id}", headers=bearer(consultant))
    [entry] = clinic.json()["entries"]
    assert entry["nhs_number"] == DISMISSED_EARLY
    assert entry["reason"].startswith("case finding: ")
