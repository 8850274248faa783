"""Advice not filled in right: the patient page again, with what was typed and each error beside its field."""

from __future__ import annotations

import re
import uuid

import httpx

from tests.support.identity import IdentityProvider, bearer
from tests.web.conftest import DemoClinic, csrf_token_in

ACTION = "repeat-ue-2-weeks"


async def _patient_path(client: httpx.AsyncClient, clinic: DemoClinic) -> str:
    """The page of the first patient the practice asked about."""
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
        "outcome": "converted-to-referral",
        "recommendation": "referral-recommended",
        "action": ACTION,
        **fields,
    }


def _tag(page: str, element: str, element_id: str) -> str:
    found = re.search(rf'<{element}\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert found, f"no <{element} id={element_id}>"
    return found.group(0)


async def test_advice_not_filled_in_right_shows_the_page_again_with_each_error_beside_its_field(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    path = await _patient_path(client, demo_clinic)
    page = (await consultant.get(path)).text
    form = _form(page, advice="   ", **{f"due-{ACTION}": "next week"})

    response = await consultant.post(f"{path}/advice", data=form)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    again = response.text
    assert "<title>Error: " in again
    summary = re.search(r'<div class="error-summary" role="alert"[^>]*>(.*?)</div>', again, re.DOTALL)
    assert summary, "no error summary"
    assert '<a href="#advice-text">Write your advice to the practice</a>' in summary.group(1)
    assert f'<a href="#due-{ACTION}">Enter the due date as a date' in summary.group(1)
    advice = _tag(again, "textarea", "advice-text")
    assert 'aria-invalid="true"' in advice
    assert 'aria-describedby="advice-hint advice-text-error"' in advice
    assert 'id="advice-text-error"' in again
    due = _tag(again, "input", f"due-{ACTION}")
    assert 'aria-invalid="true"' in due
    assert f'aria-describedby="due-{ACTION}-error"' in due
    assert 'value="next week"' in due
    assert f'id="due-{ACTION}-error"' in again
    assert "checked" in _tag(again, "input", f"action-{ACTION}")
    assert "checked" in _tag(again, "input", "outcome-converted-to-referral")
    assert "checked" not in _tag(again, "input", "outcome-return-with-advice")
    assert 'aria-invalid="true"' not in _tag(again, "select", "recommendation")
    assert '<option value="referral-recommended" selected>' in again


async def test_the_advice_typed_is_kept_and_sent_once_the_date_is_corrected(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    path = await _patient_path(client, demo_clinic)
    page = (await consultant.get(path)).text
    advice = "Start an SGLT2 inhibitor & repeat U&E in two weeks.\nRefer if eGFR < 30."
    typed = _form(page, outcome="return-with-advice", advice=advice, **{f"due-{ACTION}": "31/02/2031"})

    refused = await consultant.post(f"{path}/advice", data=typed)

    assert refused.status_code == 422
    textarea = re.search(r'<textarea[^>]*id="advice-text"[^>]*>(.*?)</textarea>', refused.text, re.DOTALL)
    assert textarea
    assert (
        textarea.group(1)
        == "Start an SGLT2 inhibitor &amp; repeat U&amp;E in two weeks.\nRefer if eGFR &lt; 30."
    )
    assert 'aria-invalid="true"' not in textarea.group(0)
    assert 'aria-invalid="true"' in _tag(refused.text, "input", f"due-{ACTION}")

    corrected = _form(
        refused.text, outcome="return-with-advice", advice=advice, **{f"due-{ACTION}": "2031-02-28"}
    )
    sent = await consultant.post(f"{path}/advice", data=corrected)

    assert sent.status_code == 303
    request_id = corrected["advice_request_id"]
    given = await client.get(f"/v1/advice-requests/{request_id}", headers=bearer(demo_clinic.token))
    assert given.json()["status"] == "advice-given"
    assert given.json()["responses"][0]["actions"][0]["due_date"] == "2031-02-28"


async def test_refused_advice_is_audited_as_failed_and_the_record_read_again_as_a_read(
    consultant: httpx.AsyncClient,
    client: httpx.AsyncClient,
    demo_clinic: DemoClinic,
    identity: IdentityProvider,
) -> None:
    path = await _patient_path(client, demo_clinic)
    page = (await consultant.get(path)).text
    nhs_number = path.rsplit("/", 1)[-1]

    form = _form(page, advice="")

    await consultant.post(f"{path}/advice", data=form)

    audit = await client.get(f"/v1/audit?nhs_number={nhs_number}", headers=bearer(identity.admin()))
    latest = audit.json()["events"][:2]
    assert [(e["purpose"], e["outcome"], e["status"]) for e in latest] == [
        ("read a specialty summary", "success", 200),
        ("give specialist advice", "failed", 422),
    ]
    advice_request = await client.get(
        f"/v1/advice-requests/{form['advice_request_id']}", headers=bearer(demo_clinic.token)
    )
    assert advice_request.json()["status"] == "awaiting-review"
