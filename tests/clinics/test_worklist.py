"""The worklist on the demo practice: the highlights, the relationship an entry gives, the audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from adapters.demo import DEMO_PATIENTS, DEMO_PRACTICE_ODS
from app.audit.service import verify_chain
from app.specialties.base import SummaryContext
from app.specialties.nephrology.plugin import Nephrology
from schemas.api.summary import SpecialtySummary
from schemas.clinical import ClinicalRecord
from tests.clinics.clinic_calls import add_patients, opened, worklist_rows
from tests.support.identity import IdentityProvider, bearer


def _story(fragment: str) -> str:
    return next(p.nhs_number for p in DEMO_PATIENTS if fragment in p.story)


KIDNEY_FAILURE = _story("G5 approaching kidney failure")
HEAVY_PROTEINURIA = _story("Heavy proteinuria (ACR 85)")
RAPID_DECLINE = _story("Rapid decline: eGFR 78 to 40")
NORMAL = _story("Normal kidney function")


async def _audit_trail(
    client: httpx.AsyncClient, identity: IdentityProvider, nhs: str
) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit", params={"nhs_number": nhs}, headers=bearer(identity.admin()))
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


async def test_the_worklist_shows_each_patients_highlights_in_list_order(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    order = [KIDNEY_FAILURE, HEAVY_PROTEINURIA, RAPID_DECLINE, NORMAL]
    await add_patients(client, consultant, clinic_id, order)

    rows = await worklist_rows(client, consultant, clinic_id)

    assert [row["nhs_number"] for row in rows] == order
    assert all(row["status"] == "waiting" for row in rows)
    assert {row["summary"]["status"] for row in rows} == {"available"}
    assert {row["summary"]["practice_ods"] for row in rows} == {DEMO_PRACTICE_ODS}
    names = {patient.nhs_number: patient.name for patient in DEMO_PATIENTS}
    assert [row["summary"]["patient_name"] for row in rows] == [names[nhs] for nhs in order]
    failure, proteinuria, decline, normal = (_figures(row["summary"]) for row in rows)
    assert [h["label"] for h in rows[0]["summary"]["highlights"]] == ["eGFR", "Slope /yr", "CKD", "KFRE 5y"]
    assert failure["CKD"]["value"].startswith("G5")
    assert failure["KFRE 5y"]["value"] > 5
    assert failure["KFRE 5y"]["flag"] == "urgent"
    assert "kfre-5y-over-5pct" in rows[0]["summary"]["criteria_met"]
    assert proteinuria["CKD"]["value"].endswith("A3")
    assert "acr-70-or-more" in rows[1]["summary"]["criteria_met"]
    assert 35 < decline["eGFR"]["value"] < 45
    assert decline["Slope /yr"]["value"] < -15
    assert "egfr-decline-15-per-year" in rows[2]["summary"]["criteria_met"]
    assert normal["CKD"]["value"].startswith("G1")
    assert rows[3]["summary"]["criteria_met"] == []


def _figures(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {figure["label"]: figure for figure in summary["highlights"]}


async def test_a_clinic_entry_lets_the_specialty_read_the_summary_without_break_glass(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant(sub="dr-okafor")
    summary_url = f"/v1/patients/{RAPID_DECLINE}/summaries/nephrology"
    before = await client.get(summary_url, headers=bearer(consultant))
    assert before.status_code == 403

    clinic_id = await opened(client, identity.admin())
    await add_patients(client, identity.admin(), clinic_id, [RAPID_DECLINE])

    after = await client.get(summary_url, headers=bearer(consultant))
    assert after.status_code == 200, after.text
    other_specialty = await client.get(
        summary_url, headers=bearer(identity.consultant(specialty="cardiology"))
    )
    assert other_specialty.status_code == 403
    read = (await _audit_trail(client, identity, RAPID_DECLINE))[0]
    assert (read["purpose"], read["break_glass_reason"]) == ("read a specialty summary", None)


async def test_each_patient_read_for_the_worklist_is_audited(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    await add_patients(client, consultant, clinic_id, [KIDNEY_FAILURE, NORMAL])

    await worklist_rows(client, consultant, clinic_id)
    await worklist_rows(client, consultant, clinic_id)

    for nhs_number in (KIDNEY_FAILURE, NORMAL):
        reads = [
            e for e in await _audit_trail(client, identity, nhs_number) if e["purpose"] == "clinic worklist"
        ]
        # The second read is served from the cache, but the consultant still sees the patient's figures.
        assert len(reads) == 2
        assert {(e["actor"], e["specialty"], e["outcome"], e["status"]) for e in reads} == {
            ("dr-lee", "nephrology", "success", 200)
        }
        assert {e["action"] for e in reads} == {"GET /v1/clinics/{clinic_id}/worklist"}
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, app.state.audit_log.key)
    assert verdict.intact, verdict.problems


async def test_a_worklist_read_writes_its_patients_events_in_one_statement(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    await add_patients(client, consultant, clinic_id, [KIDNEY_FAILURE, HEAVY_PROTEINURIA, NORMAL])
    await worklist_rows(client, consultant, clinic_id)
    # For each insert sent, whether the driver got a list of parameter sets: one statement for each.
    appends: list[bool] = []

    def count(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
            appends.append(isinstance(parameters, list))

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await worklist_rows(client, consultant, clinic_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert appends == [False]


async def test_the_worklist_and_the_patients_page_build_each_summary_once(
    client: httpx.AsyncClient, identity: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    build_summary = Nephrology.build_summary

    def counted(self: Nephrology, record: ClinicalRecord, context: SummaryContext) -> SpecialtySummary:
        built.append(record.patient.nhs_number)
        return build_summary(self, record, context)

    monkeypatch.setattr(Nephrology, "build_summary", counted)
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    patients = [KIDNEY_FAILURE, RAPID_DECLINE]
    await add_patients(client, consultant, clinic_id, patients)

    listed = await worklist_rows(client, consultant, clinic_id)
    summaries = [
        (await client.get(f"/v1/patients/{nhs}/summaries/nephrology", headers=bearer(consultant))).json()
        for nhs in patients
    ]
    again = await worklist_rows(client, consultant, clinic_id)

    assert sorted(built) == sorted(patients)
    assert [s["patient"]["nhs_number"] for s in summaries] == patients
    assert again == listed


async def test_a_summary_read_asks_every_domains_relationship_in_one_query(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    # An entry by NHS number ranks last, so every domain's relationship has to be asked for.
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    await add_patients(client, consultant, clinic_id, [NORMAL])
    summary_url = f"/v1/patients/{NORMAL}/summaries/nephrology"
    asked: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        tables = ("advice_requests", "clinic_entries", "case_finding")
        if statement.lstrip().upper().startswith("SELECT") and any(t in statement for t in tables):
            asked.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = await client.get(summary_url, headers=bearer(consultant))
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert response.status_code == 200, response.text
    assert len(asked) == 1
    assert all(t in asked[0] for t in ("advice_requests", "clinic_entries", "case_finding"))
