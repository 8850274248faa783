"""Advice with a control character in it is refused beside its field, on both engines, never with a 500."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.support.identity import bearer
from tests.web.conftest import DemoClinic, csrf_token_in


@pytest.fixture
def app_database_url(database_url: str) -> str:
    # PostgreSQL is where a NUL used to fail, as a DataError on insert.
    return database_url


async def _patient_page(client: httpx.AsyncClient, clinic: DemoClinic, consultant: httpx.AsyncClient) -> str:
    entries = await clinic.worklist(client)
    entry = next(entry for entry in entries if entry["advice_request_id"])
    return f"/clinics/{clinic.id}/patients/{entry['nhs_number']}"


def _form(page: str, **fields: str) -> dict[str, str]:
    version = re.search(r'name="version" value="(\d+)"', page)
    request_id = re.search(r'name="advice_request_id" value="([0-9a-f]+)"', page)
    assert version
    assert request_id
    return {
        "csrf_token": csrf_token_in(page),
        "advice_request_id": request_id.group(1),
        "version": version.group(1),
        "idempotency_key": uuid.uuid4().hex,
        "outcome": "return-with-advice",
        "recommendation": "advice-only",
        "advice": "Start an SGLT2 inhibitor.",
        **fields,
    }


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"])
async def test_advice_with_a_control_character_is_shown_again_with_the_error_beside_it(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic, character: str
) -> None:
    path = await _patient_page(client, demo_clinic, consultant)
    page = (await consultant.get(path)).text
    form = _form(page, advice=f"Start an SGLT2 inhibitor.{character}Repeat U&E in 2 weeks.")

    response = await consultant.post(f"{path}/advice", data=form)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert '<a href="#advice-text">Remove the characters that are not text from the advice' in response.text
    assert 'aria-invalid="true"' in re.search(r'<textarea[^>]*id="advice-text"[^>]*>', response.text).group(0)
    given = await client.get(
        f"/v1/advice-requests/{form['advice_request_id']}", headers=bearer(demo_clinic.token)
    )
    assert given.json()["status"] == "awaiting-review"


@pytest.mark.parametrize("field", ["advice_request_id", "idempotency_key", "version"])
async def test_a_hidden_field_with_a_nul_in_it_is_refused_as_a_form_that_could_not_be_read(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic, field: str
) -> None:
    path = await _patient_page(client, demo_clinic, consultant)
    page = (await consultant.get(path)).text
    form = _form(page)
    form[field] = f"{form[field]}\x00"

    response = await consultant.post(f"{path}/advice", data=form)

    assert response.status_code == 422
