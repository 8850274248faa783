"""The patient view and worklist as a consultant working through a clinic reads them.

The GP's question and who asked it come first, the list's progress and neighbours beside it; nothing in the
advice form is chosen for the consultant; sending says so; the letter can be read before it is sent; and each
worklist row says how far its patient has got, with their age, sex and the request's urgency.
"""

from __future__ import annotations

import re
import uuid

import httpx

from tests.advice.advice_calls import acknowledge, answered, cancel
from tests.support.identity import IdentityProvider
from tests.web.conftest import DemoClinic, csrf_token_in


async def _requested(clinic: DemoClinic, client: httpx.AsyncClient) -> list[dict[str, object]]:
    return [entry for entry in await clinic.worklist(client) if entry["advice_request_id"]]


def _advice_form(page: str, entry: dict[str, object], **fields: str) -> dict[str, str]:
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    return {
        "csrf_token": csrf_token_in(page),
        "advice_request_id": str(entry["advice_request_id"]),
        "version": version.group(1),
        "idempotency_key": uuid.uuid4().hex,
        **fields,
    }


async def test_the_gps_question_and_practice_come_before_the_summary(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = (await _requested(demo_clinic, client))[0]
    page = (await consultant.get(f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}")).text
    question = page.index("The GP's question")
    assert question < page.index('id="warnings-heading"') < page.index('id="chart-egfr"')
    referral = page[question : page.index("</section>", question)]
    assert "Mile End Surgery (demo) (A12345)" in referral
    assert "Dr Amira Haddad, GP partner" in referral
    assert 'href="tel:02079460018"' in referral
    assert "mile.end.surgery@nhs.net" in referral


async def test_a_patient_added_from_the_search_shows_why_in_place_of_a_question(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = next(e for e in await demo_clinic.worklist(client) if not e["advice_request_id"])
    page = (await consultant.get(f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}")).text
    assert "Why this patient is on the list" in page
    assert str(entry["reason"]) in page


async def test_the_patient_view_links_its_neighbours_on_the_list_and_counts_what_is_done(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entries = await demo_clinic.worklist(client)
    page = (await consultant.get(f"/clinics/{demo_clinic.id}/patients/{entries[3]['nhs_number']}")).text
    assert f'href="/clinics/{demo_clinic.id}/patients/{entries[2]["nhs_number"]}" rel="prev"' in page
    assert f'href="/clinics/{demo_clinic.id}/patients/{entries[4]["nhs_number"]}" rel="next"' in page
    assert "Patient 4 of 10" in page
    assert "0 of 10 done" in page
    first = (await consultant.get(f"/clinics/{demo_clinic.id}/patients/{entries[0]['nhs_number']}")).text
    assert 'rel="prev"' not in first


async def test_nothing_is_chosen_in_the_advice_form_before_the_consultant_chooses(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = (await _requested(demo_clinic, client))[0]
    page = (await consultant.get(f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}")).text
    form = page[page.index('id="advice-form"') :]
    assert not re.search(r'name="outcome"[^>]*checked', form)
    assert '<option value="" selected>Choose a recommendation</option>' in form
    assert not re.search(r'<option value="[a-z-]+" selected>', form)


async def test_sent_advice_is_confirmed_by_a_banner_and_counted_done(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = (await _requested(demo_clinic, client))[0]
    path = f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}"
    before = (await consultant.get(path)).text
    assert 'id="advice-sent-banner"' not in before
    form = _advice_form(
        before,
        entry,
        outcome="return-with-advice",
        recommendation="advice-only",
        advice="Continue as you are.",
    )
    sent = await consultant.post(f"{path}/advice", data=form)
    after = (await consultant.get(sent.headers["location"])).text
    assert 'role="status" id="advice-sent-banner"' in after
    assert "Advice sent to Mile End Surgery (demo)" in after
    assert "1 of 10 done" in after


async def test_the_banner_is_not_shown_by_the_address_alone(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = (await _requested(demo_clinic, client))[0]
    page = await consultant.get(f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}?advice=sent")
    assert 'id="advice-sent-banner"' not in page.text


async def test_the_letter_preview_shows_the_letter_and_sends_nothing(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = (await _requested(demo_clinic, client))[0]
    path = f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}"
    page = (await consultant.get(path)).text
    form = _advice_form(
        page,
        entry,
        outcome="return-with-advice",
        recommendation="advice-then-refer-if-required",
        advice="Start an SGLT2 inhibitor.",
        action="repeat-ue-2-weeks",
        **{"due-repeat-ue-2-weeks": "2031-01-15"},
    )
    preview = await consultant.post(f"{path}/letter-preview", data=form)
    assert preview.status_code == 200
    letter = preview.text
    assert "Nephrology advice" in letter
    assert "To</dt><dd>Mile End Surgery (demo) (ODS code A12345)" in letter
    assert "Return with advice. Recommendation: advice then refer if required." in letter
    assert "<strong>Repeat U&amp;E in 2 weeks</strong>, due 15 Jan 2031" in letter
    assert 'class="series-chart chart-letter"' in letter
    advice = await demo_clinic.worklist(client)
    assert next(e for e in advice if e["id"] == entry["id"])["status"] == "waiting"


async def test_a_letter_preview_of_an_unfinished_form_says_what_is_missing(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = (await _requested(demo_clinic, client))[0]
    path = f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}"
    form = _advice_form((await consultant.get(path)).text, entry, advice="")
    preview = await consultant.post(f"{path}/letter-preview", data=form)
    assert preview.status_code == 200
    assert "The letter cannot be previewed yet" in preview.text
    assert "Choose the outcome of the request" in preview.text
    assert 'class="letter"' not in preview.text


async def test_a_letter_preview_needs_the_csrf_token(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entry = (await _requested(demo_clinic, client))[0]
    path = f"/clinics/{demo_clinic.id}/patients/{entry['nhs_number']}"
    response = await consultant.post(f"{path}/letter-preview", data={"advice_request_id": "x"})
    assert response.status_code == 403


async def test_each_worklist_row_shows_age_sex_urgency_and_how_far_the_patient_has_got(
    consultant: httpx.AsyncClient,
    client: httpx.AsyncClient,
    demo_clinic: DemoClinic,
    identity: IdentityProvider,
) -> None:
    advised, acknowledged, cancelled, *_ = await _requested(demo_clinic, client)
    practice = identity.practice()
    await answered(client, demo_clinic.token, str(advised["advice_request_id"]))
    await answered(client, demo_clinic.token, str(acknowledged["advice_request_id"]))
    assert (await acknowledge(client, practice, str(acknowledged["advice_request_id"]))).status_code == 200
    assert (await cancel(client, practice, str(cancelled["advice_request_id"]))).status_code == 200

    page = (await consultant.get(f"/clinics/{demo_clinic.id}")).text

    rows = {
        m.group(2): m.group(1) for m in re.finditer(r'<tr class="row-([a-z-]+)">\s*<td[^>]*>(\d+)</td>', page)
    }
    assert rows[str(advised["position"])] == "advised"
    assert rows[str(acknowledged["position"])] == "acknowledged"
    assert rows[str(cancelled["position"])] == "closed"
    assert "waiting" in rows.values()
    for state, symbol in (("waiting", "○"), ("advised", "✓"), ("acknowledged", "✔✔"), ("closed", "■")):
        assert f'class="badge badge-{state}"><span aria-hidden="true">{symbol} </span>' in page
    assert re.search(r'data-label="Age, sex">\d+, (Male|Female)</td>', page)
    assert "▲ </span>Urgent</span>" in page
    assert '<span class="tag tag-routine">Routine</span>' in page
