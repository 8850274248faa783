"""The worklist's buttons: take a patient off the list, and close the clinic, each behind the CSRF token."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from tests.support.identity import IdentityProvider, bearer
from tests.web.conftest import DemoClinic, csrf_token_in


async def _worklist_page(consultant: httpx.AsyncClient, clinic: DemoClinic) -> str:
    response = await consultant.get(f"/clinics/{clinic.id}")
    assert response.status_code == 200
    return response.text


async def _clinic_status(client: httpx.AsyncClient, clinic: DemoClinic) -> str:
    response = await client.get(f"/v1/clinics/{clinic.id}", headers=bearer(clinic.token))
    status: str = response.json()["status"]
    return status


async def test_each_patient_has_a_remove_button_named_for_their_place_name_and_nhs_number(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    page = await _worklist_page(consultant, demo_clinic)
    entries = await demo_clinic.worklist(client)
    assert page.count(">Remove from list</a>") == len(entries)
    third = entries[2]
    nhs = str(third["nhs_number"])
    remove = f"/clinics/{demo_clinic.id}/entries/{third['id']}/remove"
    assert f'action="{remove}" id="remove-{third["id"]}"' in page
    # The name starts with the words on the button, so voice control finds it by what it shows.
    name = html.escape(str(third["summary"]["patient_name"]))
    assert f'aria-label="Remove from list: entry 3, {name}, NHS {nhs[:3]} {nhs[3:6]} {nhs[6:]}"' in page
    assert f'action="/clinics/{demo_clinic.id}/close"' in page
    assert re.search(r'<button type="submit"[^>]*aria-describedby="close-hint">Close clinic</button>', page)


async def test_the_remove_link_asks_first_on_a_page_of_its_own_and_removes_nobody(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = (await demo_clinic.worklist(client))[1]
    remove = f"/clinics/{demo_clinic.id}/entries/{entry['id']}/remove"
    page = await _worklist_page(consultant, demo_clinic)
    assert f'href="{remove}" data-confirm="Remove ' in page

    asked = await consultant.get(remove)

    assert asked.status_code == 200
    assert "Remove patient 2 from the list?" in asked.text
    assert f'<form method="post" action="{remove}"' in asked.text
    assert f'href="/clinics/{demo_clinic.id}" class="cancel-link">Keep on the list</a>' in asked.text
    assert entry["id"] in [e["id"] for e in await demo_clinic.worklist(client)]


async def test_asking_to_remove_an_entry_not_on_the_list_is_not_found(
    consultant: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    response = await consultant.get(f"/clinics/{demo_clinic.id}/entries/not-an-entry/remove")
    assert response.status_code == 404


async def test_removing_a_patient_from_the_page_takes_them_off_the_worklist(
    consultant: httpx.AsyncClient,
    client: httpx.AsyncClient,
    demo_clinic: DemoClinic,
    identity: IdentityProvider,
) -> None:
    entry = (await demo_clinic.worklist(client))[0]
    token = csrf_token_in(await _worklist_page(consultant, demo_clinic))

    response = await consultant.post(
        f"/clinics/{demo_clinic.id}/entries/{entry['id']}/remove", data={"csrf_token": token}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/clinics/{demo_clinic.id}"
    assert entry["id"] not in [e["id"] for e in await demo_clinic.worklist(client)]
    assert f'/patients/{entry["nhs_number"]}"' not in await _worklist_page(consultant, demo_clinic)
    audit = await client.get(f"/v1/audit?nhs_number={entry['nhs_number']}", headers=bearer(identity.admin()))
    removals = [e for e in audit.json()["events"] if e["purpose"] == "remove a patient from a clinic"]
    assert [(e["actor"], e["outcome"], e["status"]) for e in removals] == [("dr-lee", "success", 303)]


@pytest.mark.parametrize("form", [{}, {"csrf_token": "1.forged"}])
async def test_a_removal_without_a_valid_csrf_token_is_refused(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic, form: dict[str, str]
) -> None:
    entry = (await demo_clinic.worklist(client))[0]
    response = await consultant.post(f"/clinics/{demo_clinic.id}/entries/{entry['id']}/remove", data=form)
    assert response.status_code == 403
    assert entry["id"] in [e["id"] for e in await demo_clinic.worklist(client)]


async def test_closing_the_clinic_from_the_page_returns_to_the_clinic_list(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    token = csrf_token_in(await _worklist_page(consultant, demo_clinic))

    response = await consultant.post(f"/clinics/{demo_clinic.id}/close", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert await _clinic_status(client, demo_clinic) == "closed"
    assert 'class="tag tag-closed">Closed</span>' in (await consultant.get("/")).text
    worklist = await _worklist_page(consultant, demo_clinic)
    assert "clinic closed" in worklist
    assert "Remove from list" not in worklist
    assert "Close clinic" not in worklist


@pytest.mark.parametrize("form", [{}, {"csrf_token": "1.forged"}])
async def test_closing_without_a_valid_csrf_token_is_refused(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic, form: dict[str, str]
) -> None:
    response = await consultant.post(f"/clinics/{demo_clinic.id}/close", data=form)
    assert response.status_code == 403
    assert await _clinic_status(client, demo_clinic) == "open"


async def test_a_closed_clinics_list_is_not_changed_from_a_page_left_open(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = (await demo_clinic.worklist(client))[0]
    token = csrf_token_in(await _worklist_page(consultant, demo_clinic))
    closed = await client.post(f"/v1/clinics/{demo_clinic.id}/close", headers=bearer(demo_clinic.token))
    assert closed.status_code == 200

    response = await consultant.post(
        f"/clinics/{demo_clinic.id}/entries/{entry['id']}/remove", data={"csrf_token": token}
    )

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")
    assert "the clinic is closed and its list no longer changes" in response.text
