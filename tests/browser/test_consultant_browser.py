"""The consultant's loop in a real browser: sign in, worklist, patient, advice, delivered."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from app.auth.dev_keys import mint_dev_token
from app.core.config import Settings
from app.web.demo_seed import DEMO_CONSULTANT
from tests.support.identity import bearer

pytestmark = pytest.mark.browser

# Focus moves through the page's links and controls; the advice form is the last thing on it.
MAX_TABS = 120


def _sign_in_and_open_first_request(page: Page, artifacts: Path | None = None) -> str:
    """Signs in as the demo consultant and opens the first patient the practice asked about."""
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in as demo consultant").click()
    page.get_by_role("link", name="(today)").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nephrology clinic")
    # Each row names its patient as the practice records them, the NHS number beneath.
    expect(page.locator("a.patient-link .nhs").first).to_contain_text("NHS ")
    if artifacts is not None:
        page.screenshot(path=str(artifacts / "worklist.png"), full_page=True)
    requested = page.locator("tr", has=page.locator(".tag-request")).first
    link = requested.locator("a.patient-link")
    nhs_number = (link.get_attribute("href") or "").rsplit("/", 1)[-1]
    link.click()
    expect(page.locator("#advice-form")).to_be_visible()
    return nhs_number


def _egfr_results(base_url: str, settings: Settings, nhs_number: str) -> int:
    token = mint_dev_token(settings, DEMO_CONSULTANT.claims())
    response = httpx.get(f"{base_url}/v1/patients/{nhs_number}/summaries/nephrology", headers=bearer(token))
    assert response.status_code == 200, response.text
    return len(response.json()["egfr"]["series"])


def test_the_consultant_gives_advice_and_sees_it_delivered(
    page: Page, base_url: str, dev_settings: Settings, artifacts: Path
) -> None:
    nhs_number = _sign_in_and_open_first_request(page, artifacts)
    expect(page.locator("svg.egfr-chart")).to_be_visible()
    assert page.locator("circle.egfr-point").count() == _egfr_results(base_url, dev_settings, nhs_number)
    expect(page.locator(".patient-cell")).to_contain_text("This patient")
    page.screenshot(path=str(artifacts / "patient-view.png"), full_page=True)

    page.get_by_label("Converted to referral").check()
    page.get_by_label("Return with advice").check()
    page.get_by_label("Recommendation").select_option("advice-then-refer-if-required")
    page.get_by_label("Advice to the practice").fill("Start an SGLT2 inhibitor; repeat U&E in two weeks.")
    page.get_by_label("Repeat U&E in 2 weeks").check()
    page.locator("#due-repeat-ue-2-weeks").fill("2031-01-15")
    page.get_by_role("button", name="Send advice to the practice").click()

    delivery = page.locator("#advice-sent")
    expect(delivery).to_contain_text("Practice feed")
    expect(delivery.locator(".delivery-status")).to_have_text("Delivered")
    expect(page.locator(".actions-given")).to_contain_text("Repeat U&E in 2 weeks, by 15 Jan 2031")


def test_the_advice_form_can_be_reached_by_keyboard_alone(page: Page) -> None:
    _sign_in_and_open_first_request(page)
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    for _press in range(MAX_TABS):
        if page.evaluate("document.activeElement.id") == "send-advice":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#send-advice")).to_be_focused()
