"""A lipid panel through the GP Connect adapter: the specification's pathology example with total cholesterol,
HDL and triglyceride of one sample added, one in mg/dL, and the lipids summary built from what arrives."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx

from adapters.gp_connect import GpConnectSource
from adapters.http import RetryPolicy
from app.specialties.base import SummaryContext
from app.specialties.lipids.plugin import LIPIDS
from app.specialties.lipids.units import Lipid
from schemas.clinical import SNOMED, ObservationQuery, RecordQuery
from tests.support.catalogue import CATALOGUE, normalised

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gpconnect-stu3"
BASE = "https://gp.example.nhs.uk/B82617/STU3/1/gpconnect/structured/fhir"
OPERATION = f"{BASE}/Patient/$gpc.getstructuredrecord"
PATIENT = "9432003812"
HAEMOGLOBIN = "1022431000000105"
TC, HDL, TG = "1005671000000105", "1107681000000108", "1109831000000104"


def _result(template: dict[str, Any], code: str, quantity: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(template)
    result["id"] = f"{code}-result"
    result["code"] = {"coding": [{"system": SNOMED, "code": code}]}
    result["valueQuantity"] = quantity
    result.pop("referenceRange", None)
    return result


def _bundle(triglyceride: dict[str, Any]) -> dict[str, Any]:
    bundle: dict[str, Any] = orjson.loads((FIXTURES / "pathology_response1.json").read_bytes())
    haemoglobin = next(
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
        and entry["resource"]["code"]["coding"][0]["code"] == HAEMOGLOBIN
        and "valueQuantity" in entry["resource"]
    )
    added = [
        _result(haemoglobin, TC, {"value": 8.2, "unit": "mmol/L"}),
        _result(haemoglobin, HDL, {"value": 46, "unit": "mg/dL"}),
        _result(haemoglobin, TG, triglyceride),
    ]
    bundle["entry"].extend({"resource": resource} for resource in added)
    return bundle


@pytest.fixture
async def gp() -> AsyncIterator[GpConnectSource]:
    async def token() -> str:
        return "token"

    async with httpx.AsyncClient() as client:
        yield GpConnectSource(
            "B82617",
            BASE,
            client,
            from_asid="200000000115",
            to_asid="918999198738",
            token_provider=token,
            retry=RetryPolicy(attempts=1, base_delay=0.0),
        )


async def _summary(gp: GpConnectSource, triglyceride: dict[str, Any]) -> Any:
    respx.post(OPERATION).respond(json=_bundle(triglyceride))
    searches = tuple(ObservationQuery(lipid.value, CATALOGUE.codes_for(lipid.value), None) for lipid in Lipid)
    record = normalised(await gp.fetch_record(PATIENT, RecordQuery(observations=searches)))
    [taken] = {m.taken_at for m in record.series(Lipid.TOTAL_CHOLESTEROL.value)}
    later = taken + timedelta(days=30)
    context = SummaryContext(today=later.date(), generated_at=later.astimezone(UTC))
    return LIPIDS.build_summary(record, context)


def _latest(summary: Any, lipid: Lipid) -> tuple[float, str] | None:
    point = summary.latest[lipid.value]
    return None if point is None else (point.value, point.unit)


@respx.mock
async def test_a_panel_from_gp_connect_reads_in_mmol_per_l_with_non_hdl_and_friedewald_ldl_computed(
    gp: GpConnectSource,
) -> None:
    summary = await _summary(gp, {"value": 1.7, "unit": "mmol/L"})

    assert _latest(summary, Lipid.TOTAL_CHOLESTEROL) == (8.2, "mmol/L")
    assert _latest(summary, Lipid.HDL) == (1.2, "mmol/L")
    assert _latest(summary, Lipid.TRIGLYCERIDES) == (1.7, "mmol/L")
    assert _latest(summary, Lipid.NON_HDL) == (7.0, "mmol/L")
    assert _latest(summary, Lipid.LDL) == (6.2, "mmol/L")


@respx.mock
async def test_a_triglyceride_without_a_unit_from_gp_connect_is_refused_with_a_warning(
    gp: GpConnectSource,
) -> None:
    summary = await _summary(gp, {"value": 1.7})

    assert summary.latest[Lipid.TRIGLYCERIDES.value] is None
    assert _latest(summary, Lipid.NON_HDL) == (7.0, "mmol/L")
    assert any("triglycerides" in warning and "no unit" in warning for warning in summary.warnings)
