"""The practice's own page: a GP sees only their own practice's requests with the advice and turnaround,
acknowledges advice and asks for it through the API's services, each form only with its CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS, DEMO_PRACTICE_ODS
from app.attachments.scanning import CommandScanner
from app.core.config import Settings
from app.core.deps import SESSION_COOKIE
from app.main import create_app
from tests.advice.advice_calls import answered, read, submitted
from tests.advice.practices import BOW, BOW_PATIENT
from tests.attachments.files import GIF, PDF, infected_pdf, scanner_command
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file_for
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


AMELIA_HUGHES = DEMO_PATIENTS[0].nhs_number  # normal kidney function: meets no renal referral criterion
REASON = "Strong family history of polycystic kidney disease; she asks whether screening is needed."


async def test_the_close_out_questions_are_offered_in_words_and_the_answers_recorded_and_shown(
    client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    page = (await gp.get(f"/practices/{PRACTICE}")).text
    assert f'<label for="course-of-action-{request_id}">' in page
    assert (
        '<option value="new-or-additional-course-of-action">'
        "I got advice on a new or additional course of action</option>"
    ) in page
    assert '<option value="referral-contemplated-now-avoided">' in page
    form = {
        "csrf_token": csrf_token_in(page),
        "idempotency_key": _key(page),
        "course_of_action": "new-or-additional-course-of-action",
        "referral_outcome": "referral-contemplated-now-avoided",
        "referral_avoided": "",
    }
    action = f"/practices/{PRACTICE}/advice-requests/{request_id}/acknowledgement"
    assert (await gp.post(action, data=form)).status_code == 303
    state = (await read(client, identity.practice(PRACTICE), request_id)).json()
    assert (state["course_of_action"], state["referral_outcome"], state["referral_avoided"]) == (
        "new-or-additional-course-of-action",
        "referral-contemplated-now-avoided",
        True,
    )
    shown = (await gp.get(f"/practices/{PRACTICE}")).text
    assert "I got advice on a new or additional course of action" in shown
    assert "A referral was originally contemplated but is now avoided" in shown
    assert "referral avoided: yes" in shown
    assert f'action="{action}"' not in shown


async def test_close_out_answers_that_disagree_or_are_not_offered_are_refused_and_nothing_recorded(
    client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    page = (await gp.get(f"/practices/{PRACTICE}")).text
    action = f"/practices/{PRACTICE}/advice-requests/{request_id}/acknowledgement"
    base = {"csrf_token": csrf_token_in(page), "idempotency_key": _key(page)}
    disagree = await gp.post(
        action,
        data=base | {"referral_outcome": "referral-contemplated-still-needed", "referral_avoided": "true"},
    )
    assert disagree.status_code == 422
    assert "the answers disagree" in disagree.text
    unknown = await gp.post(action, data=base | {"course_of_action": "cured"})
    assert unknown.status_code == 422
    assert (await read(client, identity.practice(PRACTICE), request_id)).json()["status"] == "advice-given"


async def _preview_of(gp: httpx.AsyncClient, **changes: str) -> httpx.Response:
    form_page = (await gp.get(f"/practices/{PRACTICE}/advice-requests/new")).text
    fields = {
        "csrf_token": csrf_token_in(form_page),
        "nhs_number": HELEN_BAKER,
        "specialty": "nephrology",
        "question": QUESTION,
        "urgency": "routine",
        "authorised_to_convert": "no",
    } | changes
    return await gp.post(f"/practices/{PRACTICE}/advice-requests/preview", data=fields)


async def test_the_form_asks_the_authorisation_question_and_refuses_a_preview_without_an_answer(
    gp: httpx.AsyncClient,
) -> None:
    form_page = (await gp.get(f"/practices/{PRACTICE}/advice-requests/new")).text
    assert "Do you authorise the provider to convert this advice request into a referral" in form_page
    assert "Yes – I will ensure adequate clinical information is supplied" in form_page  # noqa: RUF001
    assert "No – I only require advice at this time" in form_page  # noqa: RUF001
    refused = await _preview_of(gp, authorised_to_convert="")
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    assert '<a href="#authorised-to-convert-yes">' in refused.text
    assert 'aria-invalid="true" aria-describedby="authorised-to-convert-yes-error"' in refused.text


async def test_a_patient_outside_every_criterion_needs_the_reason_before_the_request_is_sent(
    client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    preview = await _preview_of(gp, nhs_number=AMELIA_HUGHES)
    assert preview.status_code == 200, preview.text
    assert "None of the nephrology referral criteria is met on the record" in preview.text
    assert "flexibility to refer outside the criteria where appropriate" in preview.text
    assert 'name="outside_criteria_reason"' in preview.text
    fields = {
        "csrf_token": csrf_token_in(preview.text),
        "idempotency_key": _key(preview.text),
        "nhs_number": AMELIA_HUGHES,
        "specialty": "nephrology",
        "question": QUESTION,
        "urgency": "routine",
        "authorised_to_convert": "no",
    }
    path = f"/practices/{PRACTICE}/advice-requests"
    refused = await gp.post(path, data=fields | {"outside_criteria_reason": "  "})
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    assert '<a href="#outside-criteria-reason">' in refused.text
    assert 'aria-describedby="outside-criteria-reason-hint outside-criteria-reason-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    practices = await client.get("/v1/advice-requests", headers=bearer(identity.practice(PRACTICE)))
    assert practices.json()["items"] == []

    sent = await gp.post(path, data=fields | {"outside_criteria_reason": REASON})
    assert sent.status_code == 303, sent.text
    request_id = sent.headers["location"].rsplit("#request-", 1)[1]
    stored = (await read(client, identity.practice(PRACTICE), request_id)).json()
    assert (stored["criteria_met"], stored["outside_criteria_reason"], stored["authorised_to_convert"]) == (
        [],
        REASON,
        False,
    )
    listed = (await gp.get(f"/practices/{PRACTICE}")).text
    assert "None met" in listed
    assert REASON.replace("'", "&#39;") in listed
    assert "Not authorised: advice only" in listed


async def test_a_patient_inside_the_criteria_is_sent_with_them_and_the_authorisation(
    client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    preview = (await _preview(gp)).text
    assert 'name="outside_criteria_reason"' not in preview
    sent = await gp.post(f"/practices/{PRACTICE}/advice-requests", data=_send_fields(preview))
    assert sent.status_code == 303, sent.text
    request_id = sent.headers["location"].rsplit("#request-", 1)[1]
    stored = (await read(client, identity.practice(PRACTICE), request_id)).json()
    assert stored["criteria_met"], "Helen Baker's record meets a renal criterion"
    assert stored["authorised_to_convert"] is True
    listed = (await gp.get(f"/practices/{PRACTICE}")).text
    assert "Met: " in listed
    assert '<dd class="authorisation">Authorised</dd>' in listed


async def test_a_link_fills_in_the_form_and_wrong_values_are_shown_to_correct(gp: httpx.AsyncClient) -> None:
    path = f"/practices/{PRACTICE}/advice-requests/new"
    filled = await gp.get(path, params={"nhs_number": HELEN_BAKER, "specialty": "nephrology"})
    assert filled.status_code == 200
    assert f'value="{HELEN_BAKER}"' in filled.text
    assert '<option value="nephrology" selected>' in filled.text
    wrong = await gp.get(path, params={"nhs_number": "9434765918", "specialty": "astrology"})
    assert wrong.status_code == 422
    assert 'role="alert"' in wrong.text
    assert "Enter the patient&#39;s 10-digit NHS number" in wrong.text
    assert "Choose the specialty to ask" in wrong.text
    assert "astrology" not in wrong.text
    odd = await gp.get(path, params={"nhs_number": "9" * 5000 + "\x00", "specialty": "<script>"})
    assert odd.status_code == 422
    assert "<script>" not in odd.text


async def test_when_the_practice_record_cannot_be_read_the_preview_says_so_and_the_request_goes(
    settings: Settings, identity: IdentityProvider, tmp_path: Path
) -> None:
    down = practices_file_for(
        tmp_path / "down", practices={BOW: "http://127.0.0.1:9/fhir"}, patients={BOW_PATIENT: BOW}
    )
    application = create_app(settings.model_copy(update={"practices_file": down}))
    async with (
        application.router.lifespan_context(application),
        _client(application, identity.practice(BOW, role="gp", sub="dr-bow")) as bow_gp,
    ):
        form_page = (await bow_gp.get(f"/practices/{BOW}/advice-requests/new")).text
        fields = {
            "nhs_number": BOW_PATIENT,
            "specialty": "nephrology",
            "question": QUESTION,
            "urgency": "routine",
            "authorised_to_convert": "yes",
        }
        preview = await bow_gp.post(
            f"/practices/{BOW}/advice-requests/preview",
            data=fields | {"csrf_token": csrf_token_in(form_page)},
        )
        assert preview.status_code == 200, preview.text
        assert "record could not be read just now" in preview.text
        assert 'name="outside_criteria_reason"' not in preview.text
        send = fields | {"csrf_token": csrf_token_in(preview.text), "idempotency_key": _key(preview.text)}
        sent = await bow_gp.post(f"/practices/{BOW}/advice-requests", data=send)
        assert sent.status_code == 303, sent.text
        request_id = sent.headers["location"].rsplit("#request-", 1)[1]
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
            stored = (await read(api, identity.practice(BOW), request_id)).json()
    assert stored["criteria_met"] is None


async def _advised_with_actions(client: httpx.AsyncClient, identity: IdentityProvider) -> str:
    request_id = await submitted(
        client, identity.practice(PRACTICE), nhs_number=HELEN_BAKER, question=QUESTION
    )
    actions = [
        {"code": "start-sglt2-inhibitor", "due_date": "2020-01-06"},
        {"code": "repeat-ue-acr-3-months"},
    ]
    await answered(client, identity.consultant(), request_id, actions=actions)
    return request_id


async def _open_actions(client: httpx.AsyncClient, identity: IdentityProvider) -> list[dict[str, Any]]:
    listing = await client.get(
        f"/v1/practices/{PRACTICE}/follow-up-actions?status=open", headers=bearer(identity.practice(PRACTICE))
    )
    assert listing.status_code == 200, listing.text
    items: list[dict[str, Any]] = listing.json()["items"]
    return items


async def test_the_open_follow_up_actions_are_listed_overdue_first_with_the_patient_and_advice(
    client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised_with_actions(client, identity)
    overdue, later = await _open_actions(client, identity)
    page = (await gp.get(f"/practices/{PRACTICE}")).text
    section = page[page.index('id="follow-up"') : page.index("</section>", page.index('id="follow-up"'))]
    assert section.index(f'id="action-{overdue["id"]}"') < section.index(f'id="action-{later["id"]}"')
    assert 'class="follow-up-action overdue"' in section
    assert section.count(">Overdue</span>") == 1
    assert "due 6 Jan 2020" in section
    assert "Helen Baker" in section
    assert f'href="/practices/{PRACTICE}#request-{request_id}"' in section
    assert section.count(">Mark done</button>") == 2


async def test_marking_an_action_done_goes_through_the_api_service_once_and_shows_what_closed_it(
    app: FastAPI, client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await _advised_with_actions(client, identity)
    overdue, later = await _open_actions(client, identity)
    page = (await gp.get(f"/practices/{PRACTICE}")).text
    path = f"/practices/{PRACTICE}/follow-up-actions/{overdue['id']}/done"
    assert (await gp.post(path, data={"csrf_token": "1.forged"})).status_code == 403
    done = await gp.post(path, data={"csrf_token": csrf_token_in(page)})
    assert done.status_code == 303
    assert done.headers["location"] == f"/practices/{PRACTICE}?done={overdue['id']}#follow-up"
    first = (
        await client.get(f"/v1/follow-up-actions/{overdue['id']}", headers=bearer(identity.practice()))
    ).json()
    assert (first["status"], first["closed_by"]) == ("done", "dr-shah")
    again = await gp.post(path, data={"csrf_token": csrf_token_in(page)})
    assert again.status_code == 303
    second = (
        await client.get(f"/v1/follow-up-actions/{overdue['id']}", headers=bearer(identity.practice()))
    ).json()
    assert second == first
    shown = (await gp.get(f"/practices/{PRACTICE}")).text
    closed = shown[shown.index("Recently closed") :]
    assert "Start an SGLT2 inhibitor" in closed
    assert "Marked done by dr-shah" in closed
    assert [a["id"] for a in await _open_actions(client, identity)] == [later["id"]]
    audit = await client.get(f"/v1/audit?nhs_number={HELEN_BAKER}", headers=bearer(identity.admin()))
    marks = [e for e in audit.json()["events"] if e["purpose"] == "mark a follow-up action done"]
    assert len(marks) == 2
    assert {e["outcome"] for e in marks} == {"success"}


async def test_another_practices_gp_a_consultant_and_an_unknown_action_are_refused(
    app: FastAPI, client: httpx.AsyncClient, gp: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await _advised_with_actions(client, identity)
    overdue, _ = await _open_actions(client, identity)
    path = f"/practices/{PRACTICE}/follow-up-actions/{overdue['id']}/done"
    async with _client(app, identity.practice("B22222", role="gp", sub="dr-other")) as other_gp:
        token = csrf_token_in((await other_gp.get("/practices/B22222")).text)
        refused = await other_gp.post(path, data={"csrf_token": token})
        assert refused.status_code == 403
        assert "only your own practice" in refused.text
        own = f"/practices/B22222/follow-up-actions/{overdue['id']}/done"
        assert (await other_gp.post(own, data={"csrf_token": token})).status_code == 404
    async with _client(app, identity.consultant()) as consultant:
        token = csrf_token_in((await consultant.get("/")).text)
        refused = await consultant.post(path, data={"csrf_token": token})
        assert refused.status_code == 403
        assert "for the practice&#39;s own GPs" in refused.text
    page = (await gp.get(f"/practices/{PRACTICE}")).text
    missing = f"/practices/{PRACTICE}/follow-up-actions/{'0' * 32}/done"
    assert (await gp.post(missing, data={"csrf_token": csrf_token_in(page)})).status_code == 404
    assert [a["status"] for a in await _open_actions(client, identity)] == ["open", "open"]
