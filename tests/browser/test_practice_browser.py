"""The practice's loop in a real browser: the demo GP signs in, reads the consultant's advice and
acknowledges it with the close-out answers, asks a new question with a PDF letter after previewing what the
consultant will see, asks about a patient outside the referral criteria with the reason, and marks a
follow-up action done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from adapters.demo import DEMO_PATIENTS
from app.auth.dev_keys import mint_dev_token
from app.core.config import Settings
from app.web.demo_seed import DEMO_CONSULTANT
from tests.advice.advice_calls import new_key
from tests.attachments.files import PDF
from tests.support.identity import bearer

pytestmark = pytest.mark.browser

ADVICE = "Start an SGLT2 inhibitor; repeat U&E and ACR in 3 months."
HELEN_BAKER = "9990001154"
AMELIA_HUGHES = DEMO_PATIENTS[0].nhs_number
QUESTION_OUTSIDE = "Family history of polycystic kidneys: is screening needed?"
REASON = "Her mother and brother have polycystic kidney disease; she asks whether she needs screening."


def _advise_first_request(
    base_url: str, settings: Settings, actions: list[dict[str, Any]] | None = None
) -> str:
    """The demo consultant answers the first of the demo practice's seeded requests, through the API."""
    headers = bearer(mint_dev_token(settings, DEMO_CONSULTANT.claims()))
    waiting = httpx.get(f"{base_url}/v1/advice-requests?status=awaiting-review", headers=headers, timeout=10)
    request_id: str = waiting.json()["items"][0]["id"]
    etag = httpx.get(f"{base_url}/v1/advice-requests/{request_id}", headers=headers, timeout=10).headers[
        "etag"
    ]
    body = {
        "outcome": "return-with-advice",
        "recommendation": "advice-only",
        "advice": ADVICE,
        "actions": actions or [],
    }
    answered = httpx.post(
        f"{base_url}/v1/advice-requests/{request_id}/response",
        json=body,
        headers={**headers, "If-Match": etag, "Idempotency-Key": new_key()},
        timeout=30,
    )
    assert answered.status_code == 201, answered.text
    return request_id


def _sign_in_as_gp(page: Page) -> None:
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in as demo GP").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("advice requests")


def test_the_gp_reads_the_advice_and_acknowledges_it(
    page: Page, base_url: str, dev_settings: Settings, artifacts: Path
) -> None:
    request_id = _advise_first_request(base_url, dev_settings)
    _sign_in_as_gp(page)
    advised = page.locator(f"#request-{request_id}")
    expect(advised.locator(".advice-text")).to_have_text(ADVICE)
    expect(advised.locator(".turnaround")).to_contain_text("Turnaround: ")
    expect(advised.locator(".tag").first).to_have_text("Advice given")
    page.screenshot(path=str(artifacts / "practice.png"), full_page=True)

    advised.get_by_label("Which best describes what the advice did for this patient?").select_option(
        "confirmed-course-of-action"
    )
    advised.get_by_label("As a result of the advice, would you say that:").select_option(
        label="A referral was originally contemplated but is now avoided"
    )
    advised.get_by_label("Yes").check()
    page.screenshot(path=str(artifacts / "practice-close-out.png"), full_page=True)
    advised.get_by_role("button", name="Acknowledge advice").click()
    expect(page.get_by_role("status")).to_contain_text("Advice acknowledged")
    acknowledged = page.locator(f"#request-{request_id}")
    expect(acknowledged.locator(".acknowledged")).to_contain_text("referral avoided: yes")
    expect(acknowledged.locator(".close-out-answers")).to_contain_text(
        "I was able to confirm a course of action that I originally had in mind"
    )
    expect(acknowledged.locator(".close-out-answers")).to_contain_text(
        "A referral was originally contemplated but is now avoided"
    )
    expect(acknowledged.locator(".tag").first).to_have_text("Closed")


def test_the_gp_asks_with_a_pdf_after_previewing_the_summary_and_criteria(
    page: Page, tmp_path: Path, artifacts: Path
) -> None:
    letter = tmp_path / "renal-letter.pdf"
    letter.write_bytes(PDF)
    _sign_in_as_gp(page)
    page.get_by_role("link", name="Ask for advice").click()
    page.get_by_label("Patient's NHS number").fill("999 000 1154")
    page.get_by_label("Specialty").select_option("nephrology")
    page.get_by_label("Question for the consultant").fill("eGFR 78 to 40 in two years: refer now?")
    page.get_by_label("Urgent").check()
    page.get_by_label("Yes – I will ensure adequate clinical information is supplied").check()  # noqa: RUF001
    page.get_by_role("button", name="Preview what the consultant will see").click()

    expect(page.get_by_role("heading", name="Referral criteria the patient meets")).to_be_visible()
    expect(page.locator(".criteria-met li").first).to_be_visible()
    expect(page.locator("svg.chart-egfr")).to_be_visible()
    expect(page.locator("table.criteria")).to_be_visible()
    page.screenshot(path=str(artifacts / "practice-new-request-preview.png"), full_page=True)

    page.get_by_label("Attachments (optional)").set_input_files(str(letter))
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("status")).to_contain_text("Request sent")
    asked = page.locator("article.practice-request", has_text="eGFR 78 to 40 in two years: refer now?")
    expect(asked.locator(".attachments a")).to_have_text("renal-letter.pdf")
    expect(asked.locator(".tag").first).to_have_text("Awaiting review")
    expect(asked).to_contain_text("NHS 999 000 1154")
    expect(asked.locator(".authorisation")).to_have_text("Authorised")


def test_the_gp_asks_about_a_patient_outside_the_criteria_giving_the_reason(
    page: Page, artifacts: Path
) -> None:
    _sign_in_as_gp(page)
    page.get_by_role("link", name="Ask for advice").click()
    page.get_by_label("Patient's NHS number").fill(AMELIA_HUGHES)
    page.get_by_label("Specialty").select_option("nephrology")
    page.get_by_label("Question for the consultant").fill(QUESTION_OUTSIDE)
    page.get_by_label("No – I only require advice at this time").check()  # noqa: RUF001
    page.get_by_role("button", name="Preview what the consultant will see").click()

    expect(page.locator(".outside-criteria")).to_contain_text("None of the nephrology referral criteria")
    reason = page.get_by_label("Reason for asking outside the referral criteria")
    expect(reason).to_have_attribute("aria-describedby", "outside-criteria-reason-hint")
    expect(page.locator("#outside-criteria-reason-hint")).to_contain_text(
        "flexibility to refer outside the criteria where appropriate"
    )
    reason.fill(REASON)
    page.screenshot(path=str(artifacts / "practice-outside-criteria.png"), full_page=True)
    page.get_by_role("button", name="Send the request").click()

    expect(page.get_by_role("status")).to_contain_text("Request sent")
    asked = page.locator("article.practice-request", has_text=QUESTION_OUTSIDE)
    expect(asked.locator(".criteria-when-asked")).to_have_text("None met")
    expect(asked.locator(".outside-criteria-reason")).to_have_text(REASON)
    expect(asked.locator(".authorisation")).to_have_text("Not authorised: advice only")


def test_the_gp_marks_an_overdue_follow_up_action_done(
    page: Page, base_url: str, dev_settings: Settings, artifacts: Path
) -> None:
    actions = [
        {"code": "start-sglt2-inhibitor", "due_date": "2020-01-06"},
        {"code": "repeat-ue-acr-3-months"},
    ]
    _advise_first_request(base_url, dev_settings, actions)
    _sign_in_as_gp(page)
    follow_up = page.locator("#follow-up")
    overdue = follow_up.locator("li.follow-up-action").first
    expect(overdue).to_contain_text("Start an SGLT2 inhibitor")
    expect(overdue.locator(".tag")).to_have_text("Overdue")
    expect(follow_up.locator("li.follow-up-action")).to_have_count(2)
    page.screenshot(path=str(artifacts / "practice-follow-up.png"), full_page=True)

    overdue.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("status")).to_contain_text("Follow-up action marked done")
    expect(page.locator("#follow-up li.follow-up-action")).to_have_count(1)
    expect(page.locator(".follow-up-closed")).to_contain_text("Start an SGLT2 inhibitor")
    expect(page.locator(".follow-up-closed .closed-by")).to_contain_text("Marked done by")
