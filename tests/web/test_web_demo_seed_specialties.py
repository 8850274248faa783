"""`make run` seeds a demo clinic for every registered specialty, holding the demo patients of its stories."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS, DemoPatient
from app.core.deps import SESSION_COOKIE
from app.specialties.base import Specialty
from app.specialties.registry import SPECIALTIES
from app.web import demo_seed
from app.web.demo_seed import demo_consultants, seed_demo_clinics
from tests.support.glycaemia_specialty import CODE, GLYCAEMIA
from tests.support.identity import IdentityProvider, bearer

THEIRS = DEMO_PATIENTS[3:5]


@pytest.fixture(autouse=True)
def two_specialties(monkeypatch: pytest.MonkeyPatch) -> None:
    specialty: Specialty = GLYCAEMIA
    monkeypatch.setitem(SPECIALTIES, CODE, specialty)

    def patients_of(code: str) -> tuple[DemoPatient, ...]:
        return THEIRS if code == CODE else ()

    monkeypatch.setattr(demo_seed, "demo_patients_of", patients_of)


async def test_each_registered_specialty_gets_a_demo_clinic_of_its_own_patients(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = next(c for c in demo_consultants().values() if c.specialty == CODE)

    opened = await seed_demo_clinics(app.state.audit_log, app.state.practices, now=app.state.clock())

    assert opened == len(SPECIALTIES)
    token = identity.consultant(CODE, sub=consultant.sub)
    [clinic] = (await client.get("/v1/clinics", headers=bearer(token))).json()
    assert clinic["specialty"] == CODE
    detail = (await client.get(f"/v1/clinics/{clinic['id']}", headers=bearer(token))).json()
    assert [(e["nhs_number"], e["reason"]) for e in detail["entries"]] == [
        (p.nhs_number, p.story) for p in THEIRS
    ]


async def test_seeding_every_specialty_again_opens_nothing(app: FastAPI) -> None:
    now = app.state.clock()
    assert await seed_demo_clinics(app.state.audit_log, app.state.practices, now=now) == len(SPECIALTIES)
    assert await seed_demo_clinics(app.state.audit_log, app.state.practices, now=now) == 0


async def test_the_worklist_page_shows_the_columns_the_specialty_declares(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = next(c for c in demo_consultants().values() if c.specialty == CODE)
    await seed_demo_clinics(app.state.audit_log, app.state.practices, now=app.state.clock())
    token = identity.consultant(CODE, sub=consultant.sub)
    [clinic] = (await client.get("/v1/clinics", headers=bearer(token))).json()

    client.cookies.set(SESSION_COOKIE, token)
    page = await client.get(f"/clinics/{clinic['id']}")

    assert page.status_code == 200
    headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', page.text)
    assert "HbA1c" in headers
    assert not {"eGFR", "KFRE 5y"} & set(headers)
    assert page.text.count('class="patient-link"') == len(THEIRS)
