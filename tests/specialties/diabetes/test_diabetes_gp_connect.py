"""HbA1c and fasting glucose through the GP Connect adapter: the specification's pathology example with the
IFCC and DCCT results of one sample added, as EMIS and TPP file them."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx

from adapters.gp_connect import GpConnectSource
from adapters.http import RetryPolicy
from app.specialties.analytes import HBA1C
from app.specialties.diabetes.analytes import FASTING_GLUCOSE
from app.specialties.diabetes.criteria import diabetes_criteria
from app.specialties.diabetes.glycaemia import glycaemic_picture
from app.specialties.diabetes.record_facts import diabetes_facts
from schemas.clinical import SNOMED, ObservationQuery, RecordQuery
from tests.support.catalogue import CATALOGUE, normalised

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gpconnect-stu3"
BASE = "https://gp.example.nhs.uk/B82617/STU3/1/gpconnect/structured/fhir"
OPERATION = f"{BASE}/Patient/$gpc.getstructuredrecord"
PATIENT = "9432003812"
HAEMOGLOBIN = "1022431000000105"


def _result(template: dict[str, Any], code: str, display: str, value: float, unit: str) -> dict[str, Any]:
    result = copy.deepcopy(template)
    result["id"] = f"{code}-result"
    result["code"] = {"coding": [{"system": SNOMED, "code": code, "display": display}]}
    result["valueQuantity"] = {"value": value, "unit": unit}
    result.pop("referenceRange", None)
    return result


def _bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = orjson.loads((FIXTURES / "pathology_response1.json").read_bytes())
    haemoglobin = next(
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
        and entry["resource"]["code"]["coding"][0]["code"] == HAEMOGLOBIN
        and "valueQuantity" in entry["resource"]
    )
    added = [
        _result(haemoglobin, "999791000000106", "Haemoglobin A1c level - IFCC standardised", 53, "mmol/mol"),
        _result(haemoglobin, "1019431000000105", "HbA1c level (DCCT aligned)", 7.1, "%"),
        _result(haemoglobin, "1003141000000105", "Plasma fasting glucose level", 7.3, "mmol/L"),
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


@respx.mock
async def test_one_samples_ifcc_and_dcct_results_are_one_hba1c_and_the_ifcc_value_is_kept(
    gp: GpConnectSource,
) -> None:
    respx.post(OPERATION).respond(json=_bundle())
    searches = tuple(
        ObservationQuery(code, CATALOGUE.codes_for(code), date(2000, 1, 1))
        for code in (HBA1C.code, FASTING_GLUCOSE.code)
    )

    source = await gp.fetch_record(PATIENT, RecordQuery(observations=searches))
    record = normalised(source)
    [sample_day] = {m.taken_at.date() for m in record.series(HBA1C.code)}
    facts = diabetes_facts(record, today=sample_day)
    picture = glycaemic_picture(facts)

    assert len(record.series(HBA1C.code)) == 2
    assert [(day.day, day.value) for day in picture.hba1c] == [(sample_day, 53)]
    assert picture.latest_fasting_glucose is not None
    assert picture.latest_fasting_glucose.value == 7.3
    statuses = {o.code: o.status for o in diabetes_criteria(facts)}
    assert statuses["undiagnosed-diabetes-range"] == "met"
    assert statuses["ndh-range"] == "not-met"
