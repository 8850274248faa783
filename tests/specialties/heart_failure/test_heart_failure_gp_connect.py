"""NT-proBNP read through GP Connect (the specification's pathology example, its haemoglobin recoded)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx

from adapters.gp_connect import GpConnectSource
from adapters.http import RetryPolicy
from app.specialties.base import SummaryContext
from app.specialties.heart_failure.plugin import HEART_FAILURE
from schemas.clinical import SNOMED, ObservationQuery, RecordQuery
from tests.support.catalogue import CATALOGUE, normalised

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gpconnect-stu3"
BASE = "https://gp.example.nhs.uk/B82617/STU3/1/gpconnect/structured/fhir"
RESULT_ID = "770b982d-be09-4744-a5d7-54e757947ffe"


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


def _with_ntprobnp(quantity: dict[str, Any]) -> dict[str, Any]:
    bundle: dict[str, Any] = orjson.loads((FIXTURES / "pathology_response1.json").read_bytes())
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == RESULT_ID:
            entry["resource"]["code"] = {"coding": [{"system": SNOMED, "code": "414799001"}]}
            entry["resource"]["valueQuantity"] = quantity
    return bundle


async def _summary(gp: GpConnectSource, quantity: dict[str, Any]) -> Any:
    respx.post(f"{BASE}/Patient/$gpc.getstructuredrecord").respond(json=_with_ntprobnp(quantity))
    codes = CATALOGUE.codes_for("ntprobnp")
    source = await gp.fetch_record("9432003812", RecordQuery((ObservationQuery("ntprobnp", codes, None),)))
    context = SummaryContext(today=date(2026, 11, 22), generated_at=datetime(2026, 11, 22, tzinfo=UTC))
    return HEART_FAILURE.build_summary(normalised(source), context)


@respx.mock
async def test_236_pmol_per_l_from_gp_connect_is_six_weeks_and_charted_in_ng_per_l(
    gp: GpConnectSource,
) -> None:
    summary = await _summary(gp, {"value": 236, "unit": "pmol/L"})

    assert summary.latest["ntprobnp"].value == pytest.approx(1995.85, abs=0.01)
    assert summary.ntprobnp_band == "six-week"
    assert summary.criteria_met() == ["ntprobnp-400-2000-6-week"]


@respx.mock
async def test_an_nt_probnp_without_a_unit_from_gp_connect_is_refused(gp: GpConnectSource) -> None:
    summary = await _summary(gp, {"value": 236})

    assert summary.latest["ntprobnp"] is None
    assert any("ntprobnp" in warning for warning in summary.warnings)
