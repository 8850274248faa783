"""A patient in two specialties' care: each consultant reads only their own specialty's summary, the audit
names the specialty, and the summary route is typed by every registered specialty."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter

from adapters.demo import DEMO_PATIENTS
from app.core.config import Settings
from app.main import create_app
from app.specialties.base import Specialty
from app.specialties.registry import SPECIALTIES, analyte_catalogue
from app.specialties.router import summary_response_model
from tests.clinics.clinic_calls import add_patients, opened, worklist_rows
from tests.support.glycaemia_specialty import CODE, GLYCAEMIA, GlycaemiaSummary
from tests.support.identity import IdentityProvider, bearer

PATIENT = next(p.nhs_number for p in DEMO_PATIENTS if "Progressing G3b with diabetes" in p.story)


@pytest.fixture
def two_specialties(monkeypatch: pytest.MonkeyPatch) -> None:
    specialty: Specialty = GLYCAEMIA
    monkeypatch.setitem(SPECIALTIES, CODE, specialty)


@pytest.fixture
async def two_specialty_client(two_specialties: None, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def _summary_url(specialty: str) -> str:
    return f"/v1/patients/{PATIENT}/summaries/{specialty}"


async def _clinic_with_patient(client: httpx.AsyncClient, identity: IdentityProvider, specialty: str) -> str:
    consultant = {"sub": f"dr-{specialty}", "name": f"Dr {specialty}"}
    clinic_id = await opened(client, identity.admin(), specialty=specialty, consultant=consultant)
    await add_patients(client, identity.admin(), clinic_id, [PATIENT])
    return clinic_id


async def test_a_patient_can_be_on_a_renal_clinic_and_another_specialtys_clinic_at_once(
    two_specialty_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    client = two_specialty_client
    renal = await _clinic_with_patient(client, identity, "nephrology")
    glycaemia = await _clinic_with_patient(client, identity, CODE)

    [renal_row] = await worklist_rows(client, identity.consultant("nephrology", sub="dr-nephrology"), renal)
    [glycaemia_row] = await worklist_rows(client, identity.consultant(CODE, sub=f"dr-{CODE}"), glycaemia)

    assert [h["label"] for h in renal_row["summary"]["highlights"]] == ["eGFR", "Slope /yr", "CKD", "KFRE 5y"]
    assert [h["label"] for h in glycaemia_row["summary"]["highlights"]] == ["HbA1c"]
    assert glycaemia_row["summary"]["criteria_met"] == ["hba1c-58-or-more"]

    renal_summary = await client.get(_summary_url("nephrology"), headers=bearer(identity.consultant()))
    other_summary = await client.get(_summary_url(CODE), headers=bearer(identity.consultant(CODE)))
    assert renal_summary.status_code == other_summary.status_code == 200
    assert renal_summary.json()["specialty"] == "nephrology"
    assert other_summary.json()["specialty"] == CODE
    assert other_summary.json()["series"]["hba1c"]


async def test_a_consultant_sees_only_their_own_specialtys_summary(
    two_specialty_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    client = two_specialty_client
    await _clinic_with_patient(client, identity, "nephrology")
    await _clinic_with_patient(client, identity, CODE)
    break_glass = {"X-Break-Glass-Reason": "reading another specialty's summary"}

    renal_reads_other = await client.get(
        _summary_url(CODE), headers={**bearer(identity.consultant("nephrology")), **break_glass}
    )
    other_reads_renal = await client.get(
        _summary_url("nephrology"), headers={**bearer(identity.consultant(CODE, sub="dr-g")), **break_glass}
    )

    assert renal_reads_other.status_code == other_reads_renal.status_code == 403
    assert renal_reads_other.headers["content-type"] == "application/problem+json"


async def test_the_audit_names_the_specialty_of_each_summary_read(
    two_specialty_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    client = two_specialty_client
    await _clinic_with_patient(client, identity, "nephrology")
    await _clinic_with_patient(client, identity, CODE)

    await client.get(_summary_url("nephrology"), headers=bearer(identity.consultant("nephrology")))
    await client.get(_summary_url(CODE), headers=bearer(identity.consultant(CODE, sub="dr-g")))
    await client.get(_summary_url(CODE), headers=bearer(identity.consultant("nephrology")))

    trail = await client.get("/v1/audit", params={"nhs_number": PATIENT}, headers=bearer(identity.admin()))
    reads = [e for e in trail.json()["events"] if e["purpose"].startswith("read a specialty summary")]
    seen = sorted((e["actor"], e["specialty"], e["outcome"]) for e in reads)
    assert seen == sorted(
        [("dr-lee", "nephrology", "success"), ("dr-g", CODE, "success"), ("dr-lee", CODE, "denied")]
    )


def test_the_summary_response_is_one_named_model_per_specialty_told_apart_by_specialty(
    two_specialties: None,
) -> None:
    schema: dict[str, Any] = TypeAdapter(summary_response_model()).json_schema(ref_template="{model}")
    assert {choice["$ref"] for choice in schema["oneOf"]} == {"NephrologySummary", "GlycaemiaSummary"}
    assert schema["discriminator"]["propertyName"] == "specialty"
    assert schema["discriminator"]["mapping"] == {"nephrology": "NephrologySummary", CODE: "GlycaemiaSummary"}


def test_the_openapi_document_offers_each_specialtys_summary(
    two_specialties: None, settings: Settings
) -> None:
    document = create_app(settings).openapi()
    route = document["paths"]["/v1/patients/{nhs_number}/summaries/{specialty}"]["get"]
    body = route["responses"]["200"]["content"]["application/json"]["schema"]
    refs = {choice["$ref"].rsplit("/", 1)[-1] for choice in body["oneOf"]}
    assert refs == {"NephrologySummary", "GlycaemiaSummary"}
    assert body["discriminator"]["propertyName"] == "specialty"
    assert "GlycaemiaSummary" in document["components"]["schemas"]


def test_the_catalogue_holds_an_analyte_two_specialties_share_once(two_specialties: None) -> None:
    catalogue = analyte_catalogue()
    assert list(catalogue.definitions).count("hba1c") == 1
    assert GlycaemiaSummary.model_fields["specialty"].default == CODE
