"""The consultant's loop in a real browser: sign in, worklist, patient, advice, delivered."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app.auth.dev_keys import mint_dev_token
from app.core.config import Settings
from app.web.demo_seed import DEMO_CONSULTANT
from tests.support.identity import bearer

pytestmark = pytest.mark.browser

# Focus moves through the page's links and controls; the advice form is the last thing on it.
MAX_TABS = 160
PHONE = {"width": 390, "height": 844}
LAPTOP_HEIGHT = 768


def _sign_in(page: Page) -> None:
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in as demo consultant").click()
    page.get_by_role("link", name="(today)").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nephrology clinic")


def _sign_in_and_open_first_request(page: Page, artifacts: Path | None = None) -> str:
    """Signs in as the demo consultant and opens the first patient the practice asked about."""
    _sign_in(page)
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


def _page_width(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def test_the_consultant_gives_advice_and_sees_it_delivered(
    page: Page, base_url: str, dev_settings: Settings, artifacts: Path
) -> None:
    nhs_number = _sign_in_and_open_first_request(page, artifacts)
    expect(page.locator("svg.chart-egfr")).to_be_visible()
    points = page.locator("svg.chart-egfr circle.chart-point")
    assert points.count() == _egfr_results(base_url, dev_settings, nhs_number)
    expect(page.locator("svg.chart-acr")).to_be_visible()
    expect(page.locator("svg.chart-blood-pressure-panel")).to_be_visible()
    expect(page.locator(".patient-cell")).to_contain_text("This patient")
    page.screenshot(path=str(artifacts / "patient-view.png"), full_page=True)

    # Nothing is chosen for the consultant.
    assert page.locator("input[name=outcome]:checked").count() == 0
    expect(page.get_by_label("Recommendation")).to_have_value("")
    page.get_by_label("Converted to referral").check()
    page.get_by_label("Return with advice").check()
    page.get_by_label("Recommendation").select_option("advice-then-refer-if-required")
    page.get_by_label("Advice to the practice").fill("Start an SGLT2 inhibitor; repeat U&E in two weeks.")
    page.get_by_label("Repeat U&E in 2 weeks").check()
    page.locator("#due-repeat-ue-2-weeks").fill("2031-01-15")
    page.get_by_role("button", name="Send advice to the practice").click()

    banner = page.get_by_role("status")
    expect(banner).to_contain_text("Advice sent to Mile End Surgery (demo)")
    page.screenshot(path=str(artifacts / "advice-sent.png"), full_page=False)
    delivery = page.locator("#advice-sent")
    expect(delivery).to_contain_text("Practice feed")
    expect(delivery.locator(".delivery-status")).to_have_text("Delivered")
    expect(page.locator(".actions-given")).to_contain_text("Repeat U&E in 2 weeks, by 15 Jan 2031")
    expect(page.locator("#list-progress")).to_contain_text("1 of 10 done")


def test_the_gps_question_and_practice_are_at_the_top_of_the_patient_view(page: Page) -> None:
    _sign_in_and_open_first_request(page)
    referral = page.locator(".referral")
    expect(referral).to_contain_text("The GP's question")
    expect(referral).to_contain_text("Mile End Surgery (demo)")
    expect(referral).to_contain_text("Dr Amira Haddad, GP partner")
    expect(referral).to_contain_text("020 7946 0018")
    # Above the fold on a laptop screen: the whole question shows before any scrolling.
    box = referral.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= LAPTOP_HEIGHT


def test_next_and_previous_walk_the_list_with_its_progress(page: Page) -> None:
    _sign_in(page)
    page.locator("a.patient-link").first.click()
    progress = page.locator("#list-progress")
    expect(progress).to_contain_text("Patient 1 of 10")
    expect(progress).to_contain_text("0 of 10 done")
    expect(page.get_by_role("link", name="Previous patient")).to_have_count(0)
    page.get_by_role("link", name="Next patient").click()
    expect(progress).to_contain_text("Patient 2 of 10")
    page.get_by_role("link", name="Previous patient").click()
    expect(progress).to_contain_text("Patient 1 of 10")


def test_removing_a_patient_asks_first(page: Page) -> None:
    _sign_in(page)
    rows = page.locator("a.patient-link")
    before = rows.count()
    asked: list[str] = []

    def refuse(dialog: object) -> None:
        asked.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    page.once("dialog", refuse)
    page.locator("a.button-remove").first.click()
    assert asked
    assert asked[0].startswith("Remove ")
    expect(rows).to_have_count(before)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("a.button-remove").first.click()
    expect(rows).to_have_count(before - 1)


def test_without_script_removal_is_confirmed_on_a_page_of_its_own(browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        _sign_in(page)
        before = page.locator("a.patient-link").count()
        page.locator("a.button-remove").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Remove patient 1 from the list?")
        page.get_by_role("link", name="Keep on the list").click()
        expect(page.locator("a.patient-link")).to_have_count(before)
        page.locator("a.button-remove").first.click()
        page.get_by_role("button", name="Remove from list").click()
        expect(page.locator("a.patient-link")).to_have_count(before - 1)
    finally:
        context.close()


def test_the_letter_preview_shows_the_advice_as_the_practice_will_read_it(
    page: Page, artifacts: Path
) -> None:
    _sign_in_and_open_first_request(page)
    page.get_by_label("Return with advice").check()
    page.get_by_label("Recommendation").select_option("advice-only")
    page.get_by_label("Advice to the practice").fill("Continue ramipril; recheck ACR in three months.")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Preview the letter").click()
    preview = opened.value
    letter = preview.locator("article.letter")
    expect(letter).to_contain_text("Nephrology advice")
    expect(letter).to_contain_text("Mile End Surgery (demo)")
    expect(letter).to_contain_text("Continue ramipril; recheck ACR in three months.")
    expect(letter).to_contain_text("Return with advice. Recommendation: advice only.")
    preview.screenshot(path=str(artifacts / "letter-preview.png"), full_page=True)
    # Nothing was sent: the form is still there to send from.
    expect(page.locator("#send-advice")).to_be_enabled()


def test_the_pages_fit_a_phone_screen(browser: Browser, base_url: str, artifacts: Path) -> None:
    context = browser.new_context(base_url=base_url, viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    try:
        _sign_in(page)
        assert _page_width(page) <= PHONE["width"]
        page.screenshot(path=str(artifacts / "worklist-phone.png"), full_page=True)
        page.locator("tr", has=page.locator(".tag-request")).first.locator("a.patient-link").click()
        expect(page.locator("svg.chart-egfr")).to_be_visible()
        assert _page_width(page) <= PHONE["width"]
        # The chart keeps a readable size: its tick labels are no smaller on screen than 9 px.
        label = page.locator("svg.chart-egfr text.tick").first.bounding_box()
        assert label is not None
        assert label["height"] >= 9
        page.screenshot(path=str(artifacts / "patient-view-phone.png"), full_page=True)
    finally:
        context.close()


def test_the_advice_form_can_be_reached_by_keyboard_alone(page: Page) -> None:
    _sign_in_and_open_first_request(page)
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    for _press in range(MAX_TABS):
        if page.evaluate("document.activeElement.id") == "send-advice":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#send-advice")).to_be_focused()


def test_printing_leaves_out_the_controls_and_keeps_the_record(page: Page, artifacts: Path) -> None:
    _sign_in_and_open_first_request(page)
    page.emulate_media(media="print")
    expect(page.locator(".masthead")).to_be_hidden()
    expect(page.locator(".list-nav")).to_be_hidden()
    expect(page.locator("#advice-form")).to_be_hidden()
    expect(page.locator(".referral")).to_be_visible()
    expect(page.locator("svg.chart-egfr")).to_be_visible()
    page.screenshot(path=str(artifacts / "patient-view-print.png"), full_page=True)
