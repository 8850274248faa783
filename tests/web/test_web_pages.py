"""The consultant's pages render from the same services as the API, and refuse whoever may not see them."""

from __future__ import annotations

import html
import re
import uuid
from urllib.parse import quote

import httpx

from app.core.deps import SESSION_COOKIE
from tests.support.identity import IdentityProvider, bearer
from tests.web.conftest import DemoClinic, csrf_token_in

OFF_THE_LIST = "9990001006"


async def _first_requested(clinic: DemoClinic, client: httpx.AsyncClient) -> dict[str, object]:
    entries = await clinic.worklist(client)
    return next(entry for entry in entries if entry["advice_request_id"])


async def test_signed_out_pages_send_the_browser_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    for path in ("/clinics/any", f"/clinics/any/patients/{OFF_THE_LIST}"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next={quote(path, safe='')}"


async def test_the_clinic_list_links_to_todays_clinic(
    consultant: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    response = await consultant.get("/")
    assert response.status_code == 200
    assert f'href="/clinics/{demo_clinic.id}"' in response.text
    assert "(today)" in response.text


async def test_the_worklist_shows_each_patient_with_highlights(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    response = await consultant.get(f"/clinics/{demo_clinic.id}")
    assert response.status_code == 200
    entries = await demo_clinic.worklist(client)
    assert response.text.count('class="patient-link"') == len(entries) == 10
    # Each patient by the name their practice records, the NHS number beside it.
    for entry in entries:
        name = re.escape(html.escape(entry["summary"]["patient_name"]))
        assert re.search(rf'class="patient-link"[^>]*>{name} <span class="nhs">NHS ', response.text)
    assert "Advice request" in response.text
    assert "5-year kidney failure risk above 5%" in response.text


async def test_the_patient_view_charts_every_egfr_result(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = await _first_requested(demo_clinic, client)
    nhs_number = entry["nhs_number"]
    summary = await client.get(
        f"/v1/patients/{nhs_number}/summaries/nephrology", headers=bearer(demo_clinic.token)
    )
    response = await consultant.get(f"/clinics/{demo_clinic.id}/patients/{nhs_number}")
    assert response.status_code == 200
    egfr_chart = response.text.split('id="chart-egfr"')[1].split("</figure>")[0]
    assert egfr_chart.count('class="chart-point') == len(summary.json()["egfr"]["series"])
    assert 'class="trend-line"' in response.text
    assert "● This patient" in response.text
    assert 'id="advice-form"' in response.text
    # Display rounding only: eGFR whole, KFRE to one decimal place.
    assert re.search(r"KFRE 5y</dt><dd><strong>\d+(\.\d)?%</strong>", response.text)


async def test_a_patient_with_no_relationship_is_refused(
    consultant: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    response = await consultant.get(f"/clinics/{demo_clinic.id}/patients/{OFF_THE_LIST}")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")


async def test_a_gp_token_cannot_open_consultant_pages(
    app_client_for_gp: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    for path in ("/", f"/clinics/{demo_clinic.id}"):
        response = await app_client_for_gp.get(path)
        assert response.status_code == 403


async def test_advice_from_the_form_is_given_once_and_shows_its_delivery(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = await _first_requested(demo_clinic, client)
    page_path = f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}"
    page = (await consultant.get(page_path)).text
    form = {
        "csrf_token": csrf_token_in(page),
        "advice_request_id": str(entry["advice_request_id"]),
        "version": re.search(r'name="version" value="(\d+)"', page).group(1),  # type: ignore[union-attr]
        "idempotency_key": uuid.uuid4().hex,
        "outcome": "return-with-advice",
        "recommendation": "advice-only",
        "advice": "Start an SGLT2 inhibitor and repeat the U&E in two weeks.",
        "action": "repeat-ue-2-weeks",
        "due-repeat-ue-2-weeks": "2031-01-15",
    }
    for _attempt in range(2):
        sent = await consultant.post(f"{page_path}/advice", data=form)
        assert sent.status_code == 303
        assert sent.headers["location"] == f"{page_path}?advice=sent#advice-sent"
    advice = await client.get(
        f"/v1/advice-requests/{entry['advice_request_id']}", headers=bearer(demo_clinic.token)
    )
    body = advice.json()
    assert body["status"] == "advice-given"
    assert len(body["responses"]) == 1
    assert body["responses"][0]["actions"][0]["due_date"] == "2031-01-15"
    after = await consultant.get(page_path)
    assert "tag-delivery-delivered" in after.text
    assert "Repeat U&amp;E in 2 weeks, by 15 Jan 2031" in after.text


async def test_advice_written_against_a_stale_page_is_refused(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = await _first_requested(demo_clinic, client)
    page_path = f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}"
    page = (await consultant.get(page_path)).text
    form = {
        "csrf_token": csrf_token_in(page),
        "advice_request_id": str(entry["advice_request_id"]),
        "version": "999",
        "idempotency_key": uuid.uuid4().hex,
        "outcome": "return-with-advice",
        "recommendation": "advice-only",
        "advice": "Written on a page someone else has since changed.",
    }
    response = await consultant.post(f"{page_path}/advice", data=form)
    assert response.status_code == 412
    assert "has changed since it was read" in response.text


async def test_sign_out_clears_the_session_cookie(consultant: httpx.AsyncClient) -> None:
    page = (await consultant.get("/")).text
    response = await consultant.post("/sign-out", data={"csrf_token": csrf_token_in(page)})
    assert response.status_code == 303
    cleared = response.headers["set-cookie"]
    assert cleared.startswith(f'{SESSION_COOKIE}=""') or "Max-Age=0" in cleared


async def test_the_page_reads_are_audited_with_the_patient(
    consultant: httpx.AsyncClient,
    client: httpx.AsyncClient,
    demo_clinic: DemoClinic,
    identity: IdentityProvider,
) -> None:
    entry = await _first_requested(demo_clinic, client)
    await consultant.get(f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}")
    audit = await client.get(f"/v1/audit?nhs_number={entry['nhs_number']}", headers=bearer(identity.admin()))
    purposes = [event["purpose"] for event in audit.json()["events"]]
    assert "read a specialty summary" in purposes
