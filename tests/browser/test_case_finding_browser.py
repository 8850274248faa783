"""From a practice search to a clinic in a real browser: the consultant starts a run over the demo practice
(served by the mock GP's $export), a worker runs it, and a patient it found goes on today's clinic list."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from adapters.demo import DEMO_PATIENTS, write_demo_practice
from adapters.mock_gp import running_mock_gp
from app.auth.dev_keys import mint_dev_token
from app.case_finding.wiring import run_case_finding_worker
from app.core.config import Settings
from app.web.demo_seed import DEMO_CONSULTANT
from tests.case_finding.case_finding_calls import case_finding_practices
from tests.support.identity import bearer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def searched_gp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("browser-case-finding-gp")
    write_demo_practice(directory, date.today())
    with running_mock_gp(directory) as url:
        yield url


@pytest.fixture
def dev_settings(sqlite_url: str, tmp_path: Path, searched_gp: str) -> Settings:
    """Dev mode over a practice that has agreed to population searches, its records on the mock GP."""
    path = case_finding_practices(
        tmp_path / "practices", base_url=searched_gp, patients=[p.nhs_number for p in DEMO_PATIENTS]
    )
    return Settings(dev_mode=True, database_url=sqlite_url, var_dir=tmp_path / "var", practices_file=path)


def _todays_clinic(base_url: str, settings: Settings) -> str:
    token = mint_dev_token(settings, DEMO_CONSULTANT.claims())
    body = {
        "specialty": DEMO_CONSULTANT.specialty,
        "date": date.today().isoformat(),
        "consultant": {"sub": DEMO_CONSULTANT.sub, "name": DEMO_CONSULTANT.name},
    }
    response = httpx.post(f"{base_url}/v1/clinics", json=body, headers=bearer(token), timeout=10)
    assert response.status_code == 201, response.text
    clinic_id: str = response.json()["id"]
    return clinic_id


def _run_worker_once(settings: Settings) -> int:
    """``vclinic worker --once``, on a thread of its own: Playwright's loop already runs on this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run_case_finding_worker(settings, once=True)).result(timeout=120)


def test_the_consultant_adds_a_found_patient_to_a_clinic_from_the_practice_view(
    page: Page, base_url: str, dev_settings: Settings, artifacts: Path
) -> None:
    clinic_id = _todays_clinic(base_url, dev_settings)
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in as demo consultant").click()
    page.get_by_role("link", name="Case-finding practice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("nephrology case-finding")

    page.get_by_role("button", name="Start a run").click()
    expect(page.locator(".run-status .tag")).to_have_text("Queued")
    assert _run_worker_once(dev_settings) >= 1
    page.reload()
    expect(page.locator(".run-status .tag")).to_have_text("Done")
    page.screenshot(path=str(artifacts / "case-finding-practice-view.png"), full_page=True)

    first = page.locator(".rule-group tbody tr", has=page.locator("input[type=checkbox]")).first
    found = (first.locator("th .nhs").text_content() or "").removeprefix("NHS ").strip()
    first.locator("input[type=checkbox]").check()
    page.get_by_label("Clinic to add patients to").select_option(clinic_id)
    page.get_by_role("button", name="Add selected to clinic").click()
    expect(page.locator("tr", has_text=found).locator(".tag").first).to_have_text("Added to clinic")

    page.goto(f"/clinics/{clinic_id}")
    row = page.locator("table.worklist tbody tr", has_text=found)
    expect(row).to_be_visible()
    expect(row.locator(".reason")).to_contain_text("case finding")
    page.screenshot(path=str(artifacts / "case-finding-added-to-clinic.png"), full_page=True)
