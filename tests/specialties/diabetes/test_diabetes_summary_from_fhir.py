"""The diabetes summary through the real FHIR R4 adapter from the mock GP: UK and US coding of one history
give the same numbers, and the Synthea patient's record reads as its coding allows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from adapters.mock_gp import running_mock_gp
from app.core.config import Settings
from app.main import create_app
from schemas.clinical import LOINC, NHS_NUMBER_SYSTEM, SNOMED
from tests.support import fhir_factory as fhir
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file

NHS_NUMBER = "9434765919"
BREAK_GLASS = {"X-Break-Glass-Reason": "test of the diabetes pipeline"}
SYNTHEA = (
    Path(__file__).parents[2]
    / "fixtures"
    / "synthea-r4"
    / "Isaiah_Schaden_b6b36717-6ad2-433d-bf5c-6c77bc2fcd96.json"
)

UK = {
    "hba1c": fhir.Code(SNOMED, "999791000000106", "mmol/mol"),
    "fasting-glucose": fhir.Code(SNOMED, "1003141000000105", "mmol/L"),
    "egfr": fhir.UK["egfr"],
}
US = {
    "hba1c": fhir.Code(LOINC, "4548-4", "%"),
    "fasting-glucose": fhir.Code(LOINC, "1558-6", "mg/dL"),
    "egfr": fhir.US["egfr"],
}
# One history in UK units, with the % and mg/dL a US laboratory reports for the same samples.
HBA1C = [("2023-09-01", 48, 6.5), ("2024-02-01", 52, 6.9), ("2024-08-01", 58, 7.5)]
FASTING_GLUCOSE = [("2024-08-01", 7.0, 126)]


def _condition(patient_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "cond-1",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": SNOMED, "code": "44054006", "display": "Type 2 diabetes mellitus"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "onsetDateTime": "2019-03-04",
    }


def _record(codes: dict[str, fhir.Code], directory: Path) -> None:
    pid = f"pat-{NHS_NUMBER}"
    us = codes is US
    resources: list[dict[str, Any]] = [fhir.patient(NHS_NUMBER, birth_date="1960-05-02", gender="male")]
    for i, (when, mmol_mol, percent) in enumerate(HBA1C):
        resources.append(fhir.result(pid, i, codes["hba1c"], when, percent if us else mmol_mol))
    for i, (when, mmol_l, mg_dl) in enumerate(FASTING_GLUCOSE):
        resources.append(fhir.result(pid, i, codes["fasting-glucose"], when, mg_dl if us else mmol_l))
    resources.append(fhir.result(pid, 0, codes["egfr"], "2024-08-01", 71.0))
    resources.append(fhir.medication(pid, 1, "Metformin 500mg tablets", "2024-06-01"))
    resources.append(fhir.medication(pid, 2, "Gliclazide 80mg tablets", "2024-06-01"))
    resources.append(_condition(pid))
    fhir.write_bundle(directory, resources)


@asynccontextmanager
async def _client(base_url: str, settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    path = practices_file(tmp_path / "config", base_url=base_url, patients={NHS_NUMBER: "A11111"})
    app = create_app(settings.model_copy(update={"practices_file": path}))
    app.state.clock = lambda: datetime(2024, 9, 1, 9, 0, tzinfo=UTC)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def _summary(
    data: Path, tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> dict[str, Any]:
    with running_mock_gp(data) as base_url:
        async with _client(base_url, settings, tmp_path) as client:
            response = await client.get(
                f"/v1/patients/{NHS_NUMBER}/summaries/diabetes",
                headers={**bearer(identity.consultant(specialty="diabetes")), **BREAK_GLASS},
            )
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    return summary


def _numbers(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "series": {k: [(p["date"], p["value"]) for p in v] for k, v in summary["series"].items()},
        "criteria": {c["code"]: c["status"] for c in summary["referral_criteria"]},
        "target": summary["hba1c_target"],
        "outcome": summary["glycaemic_outcome"],
        "classes": summary["glucose_lowering_classes"],
        "percent": summary["latest_hba1c_percent"],
    }


async def test_uk_and_us_coding_of_one_history_give_the_same_diabetes_summary(
    tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> None:
    _record(UK, tmp_path / "uk" / "data")
    _record(US, tmp_path / "us" / "data")
    uk = await _summary(tmp_path / "uk" / "data", tmp_path / "uk", settings, identity)
    us = await _summary(tmp_path / "us" / "data", tmp_path / "us", settings, identity)

    assert uk["specialty"] == "diabetes"
    assert _numbers(uk) == _numbers(us)
    assert _numbers(uk)["series"]["hba1c"] == [
        ("2023-09-01", 48.0),
        ("2024-02-01", 52.0),
        ("2024-08-01", 58.0),
    ]
    assert _numbers(uk)["series"]["fasting-glucose"] == [("2024-08-01", 7.0)]
    assert uk["hba1c_target"] == 53
    assert uk["latest_hba1c_percent"] == 7.5
    assert _numbers(uk)["criteria"] == {
        "hba1c-above-individual-target": "met",
        "hba1c-58-or-more-intensify": "met",
        "hba1c-over-75": "not-met",
        "hba1c-over-90": "not-met",
        "rising-hba1c": "met",
        "undiagnosed-diabetes-range": "not-met",
        "ndh-range": "not-met",
        "hypo-risk-on-su-or-insulin-with-low-hba1c": "not-met",
    }
    assert us["referral_criteria"][1]["evidence"].startswith(
        "latest HbA1c 58 mmol/mol (reported as 7.5%) on 2024-08-01 is 58 or more"
    )


async def test_the_synthea_patients_hba1c_below_any_assay_is_dropped_and_the_warnings_say_so(
    tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> None:
    bundle = orjson.loads(SYNTHEA.read_bytes())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    # A transaction bundle refers by entry URL; a server, once loaded, refers by type and id.
    text = SYNTHEA.read_text().replace(f"urn:uuid:{patient['id']}", f"Patient/{patient['id']}")
    resources = [entry["resource"] for entry in orjson.loads(text)["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    patient["identifier"].append({"system": NHS_NUMBER_SYSTEM, "value": NHS_NUMBER})
    fhir.write_bundle(tmp_path / "data", resources)

    summary = await _summary(tmp_path / "data", tmp_path, settings, identity)

    # Synthea writes HbA1c 4548-4 as 2.5-3.1 %, which is 4-10 mmol/mol: below any assay, so dropped.
    assert summary["series"]["hba1c"] == []
    assert summary["on_diabetes_register"] is True
    criteria = {c["code"]: c["status"] for c in summary["referral_criteria"]}
    assert criteria["hba1c-58-or-more-intensify"] == "insufficient-data"
    assert criteria["undiagnosed-diabetes-range"] == "not-met"
    assert summary["warnings"] == [
        "hba1c: 18 results outside the plausible range 15-200 mmol/mol dropped (wrong unit or magnitude)",
        "No HbA1c in the 12 months up to 2024-09-01 (since 2023-09-01): "
        "NICE NG28 measures it every 3 to 6 months",
    ]
