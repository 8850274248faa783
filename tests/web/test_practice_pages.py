"""The practice's own page: a GP sees only their own practice's requests with the advice and turnaround,
acknowledges advice and asks for it through the API's services, each form only with its CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from adapters.demo import DEMO_PRACTICE_ODS
from app.attachments.scanning import CommandScanner
from app.core.deps import SESSION_COOKIE
from tests.advice.advice_calls import answered, read, submitted
from tests.attachments.files import GIF, PDF, infected_pdf, scanner_command
from tests.support.identity import IdentityProvider, bearer
from tests.web.conftest import DemoClinic, csrf_token_in

PRACTICE = DEMO_PRACTICE_ODS
HELEN_BAKER = "9990001154"
IDEMPOTENCY_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
QUESTION = "eGFR fell from 78 to 40 in two years. Please advise on investigation and referral."


def _client(app: FastAPI, token: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    http.cookies.set(SESSION_COOKIE, token)
    return http


@pytest.fixture
async def gp(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app, identity.practice(PRACTICE, role="gp", sub="dr-shah")) as http:
        yield http


async def _advised(client: httpx.AsyncClient, identity: IdentityProvider) -> str:
    request_id = await submitted(
        client, identity.practice(PRACTICE), nhs_number=HELEN_BAKER, question=QUESTION
    )
    await answered(client, identity.consultant(), request_id)
    return request_id


def _key(page: str) -> str:
    found = IDEMPOTENCY_KEY.search(page)
    assert found, "the page has no idempotency key"
    return found.group(1)


async def test_a_gp_lands_on_their_own_practice_page_and_no_other(
    app: FastAPI, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    assert (await gp.get("/")).headers["location"] == f"/practices/{PRACTICE}"
    assert (await gp.get("/practice")).headers["location"] == f"/practices/{PRACTICE}"
    async with _client(app, identity.practice("B22222", role="gp", sub="dr-other")) as other_gp:
        refused = await other_gp.get(f"/practices/{PRACTICE}")
        ask = await other_gp.get(f"/practices/{PRACTICE}/advice-requests/new")
    assert refused.status_code == 403
    assert "only your own practice" in refused.text
    assert ask.status_code == 403
    async with _client(app, identity.consultant()) as consultant:
        assert (await consultant.get(f"/practices/{PRACTICE}")).status_code == 403


async def test_the_page_shows_each_request_with_the_advice_the_patient_and_the_turnaround(
    client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    page = await gp.get(f"/practices/{PRACTICE}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert f'id="request-{request_id}"' in page.text
    assert "Helen Baker" in page.text
    assert "NHS 999 000 1154" in page.text
    assert "Advice given" in page.text
    assert "Start an SGLT2 inhibitor" in page.text
    assert re.search(r"Turnaround: (under a minute|\d+ minutes?)", page.text)
    assert f'href="/practices/{PRACTICE}/register"' in page.text
    assert "Acknowledge advice" in page.text


async def test_acknowledging_from_the_page_closes_the_request_with_the_close_out_answer_once(
    client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    page = (await gp.get(f"/practices/{PRACTICE}")).text
    form = {"csrf_token": csrf_token_in(page), "idempotency_key": _key(page), "referral_avoided": "true"}
    action = f"/practices/{PRACTICE}/advice-requests/{request_id}/acknowledgement"
    done = await gp.post(action, data=form)
    assert done.status_code == 303
    assert done.headers["location"] == f"/practices/{PRACTICE}?acknowledged={request_id}#request-{request_id}"
    state = (await read(client, identity.practice(PRACTICE), request_id)).json()
    assert (state["status"], state["referral_avoided"]) == ("closed", True)
    again = await gp.post(action, data=form)
    assert again.status_code == 303
    assert (await read(client, identity.practice(PRACTICE), request_id)).json()["version"] == state["version"]
    shown = (await gp.get(f"/practices/{PRACTICE}")).text
    assert "referral avoided: yes" in shown


async def test_acknowledging_without_the_csrf_token_or_for_another_practice_is_refused(
    app: FastAPI, client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    action = f"/practices/{PRACTICE}/advice-requests/{request_id}/acknowledgement"
    forged = await gp.post(
        action, data={"csrf_token": "1.forged", "idempotency_key": "k", "referral_avoided": ""}
    )
    assert forged.status_code == 403
    async with _client(app, identity.practice("B22222", role="gp", sub="dr-other")) as other_gp:
        page = (await other_gp.get("/sign-in")).text
        token = csrf_token_in(page)
        other = await other_gp.post(action, data={"csrf_token": token, "idempotency_key": "k"})
    assert other.status_code == 403
    assert (await read(client, identity.practice(PRACTICE), request_id)).json()["status"] == "advice-given"


async def _preview(gp: httpx.AsyncClient, nhs_number: str = HELEN_BAKER) -> httpx.Response:
    form_page = (await gp.get(f"/practices/{PRACTICE}/advice-requests/new")).text
    fields = {
        "csrf_token": csrf_token_in(form_page),
        "nhs_number": nhs_number[:3] + " " + nhs_number[3:6] + " " + nhs_number[6:],
        "specialty": "nephrology",
        "question": QUESTION,
        "urgency": "urgent",
        "authorised_to_convert": "yes",
    }
    return await gp.post(f"/practices/{PRACTICE}/advice-requests/preview", data=fields)


def _send_fields(preview: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_token_in(preview),
        "idempotency_key": _key(preview),
        "nhs_number": HELEN_BAKER,
        "specialty": "nephrology",
        "question": QUESTION,
        "urgency": "urgent",
        "authorised_to_convert": "yes",
    }


async def test_the_preview_shows_the_summary_the_consultant_will_see_and_the_criteria_met(
    gp: httpx.AsyncClient,
) -> None:
    preview = await _preview(gp)
    assert preview.status_code == 200, preview.text
    assert "Referral criteria the patient meets" in preview.text
    assert "Referral criteria" in preview.text
    assert "chart-egfr" in preview.text
    assert 'enctype="multipart/form-data"' in preview.text


async def test_sending_creates_the_request_with_its_pdf_once(
    client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    fields = _send_fields((await _preview(gp)).text)
    files = {"attachment": ("letter.pdf", PDF, "application/pdf")}
    sent = await gp.post(f"/practices/{PRACTICE}/advice-requests", data=fields, files=files)
    assert sent.status_code == 303, sent.text
    request_id = sent.headers["location"].rsplit("#request-", 1)[1]
    again = await gp.post(f"/practices/{PRACTICE}/advice-requests", data=fields, files=files)
    assert again.headers["location"] == sent.headers["location"]
    created = (await read(client, identity.practice(PRACTICE), request_id)).json()
    assert (created["nhs_number"], created["urgency"], created["question"]) == (
        HELEN_BAKER,
        "urgent",
        QUESTION,
    )
    listing = await client.get(
        f"/v1/advice-requests/{request_id}/attachments", headers=bearer(identity.consultant())
    )
    assert [(a["filename"], a["content_type"]) for a in listing.json()] == [("letter.pdf", "application/pdf")]
    practices = await client.get("/v1/advice-requests", headers=bearer(identity.practice(PRACTICE)))
    assert len(practices.json()["items"]) == 1


async def test_sending_refuses_a_forged_token_a_wrong_type_and_an_infected_file_and_keeps_nothing(
    app: FastAPI, client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider, tmp_path: Path
) -> None:
    app.state.virus_scanner = CommandScanner(scanner_command(tmp_path), timeout_seconds=5.0)
    fields = _send_fields((await _preview(gp)).text)
    path = f"/practices/{PRACTICE}/advice-requests"
    forged = await gp.post(path, data=fields | {"csrf_token": "1.forged"})
    assert forged.status_code == 403
    gif = await gp.post(path, data=fields, files={"attachment": ("scan.pdf", GIF, "application/pdf")})
    assert gif.status_code == 415
    assert "PDF, PNG or JPEG" in gif.text
    infected = await gp.post(
        path, data=fields, files={"attachment": ("x.pdf", infected_pdf(), "application/pdf")}
    )
    assert infected.status_code == 422
    assert "the virus scan found the file infected" in infected.text
    practices = await client.get("/v1/advice-requests", headers=bearer(identity.practice(PRACTICE)))
    assert practices.json()["items"] == []


async def test_a_file_over_the_bound_is_refused_from_the_page(app: FastAPI, gp: httpx.AsyncClient) -> None:
    fields = _send_fields((await _preview(gp)).text)
    too_large = PDF + bytes(app.state.settings.attachment_max_bytes)
    refused = await gp.post(
        f"/practices/{PRACTICE}/advice-requests",
        data=fields,
        files={"attachment": ("big.pdf", too_large, "application/pdf")},
    )
    assert refused.status_code == 413
    assert "larger than the" in refused.text


async def test_a_question_left_blank_is_shown_again_saying_what_to_correct(gp: httpx.AsyncClient) -> None:
    form_page = (await gp.get(f"/practices/{PRACTICE}/advice-requests/new")).text
    fields = {
        "csrf_token": csrf_token_in(form_page),
        "nhs_number": "9434765918",
        "specialty": "nephrology",
        "question": " ",
        "urgency": "routine",
    }
    shown = await gp.post(f"/practices/{PRACTICE}/advice-requests/preview", data=fields)
    assert shown.status_code == 422
    assert "Enter the patient&#39;s 10-digit NHS number" in shown.text
    assert "Write the question for the consultant" in shown.text


async def test_a_patient_of_another_practice_cannot_be_previewed(gp: httpx.AsyncClient) -> None:
    refused = await _preview(gp, nhs_number="9434765919")
    assert refused.status_code == 404
    assert "registered practice is not known" in refused.text


async def test_the_consultant_sees_the_practices_attachments_on_the_patient_page(
    client: httpx.AsyncClient,
    consultant: httpx.AsyncClient,
    demo_clinic: DemoClinic,
    identity: IdentityProvider,
) -> None:
    entry = next(e for e in await demo_clinic.worklist(client) if e.get("advice_request_id"))
    request_id, nhs_number = str(entry["advice_request_id"]), str(entry["nhs_number"])
    headers = {
        **bearer(identity.practice(PRACTICE)),
        "Content-Type": "application/pdf",
        "Idempotency-Key": "k1",
    }
    posted = await client.post(
        f"/v1/advice-requests/{request_id}/attachments?filename=clinic-letter.pdf",
        content=PDF,
        headers=headers,
    )
    assert posted.status_code == 201, posted.text
    page = await consultant.get(f"/clinics/{demo_clinic.id}/patients/{nhs_number}")
    assert page.status_code == 200
    assert f'href="{posted.headers["location"]}">clinic-letter.pdf</a>' in page.text
    file = await consultant.get(posted.headers["location"])
    assert file.content == PDF
