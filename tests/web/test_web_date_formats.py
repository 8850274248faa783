"""Dates read one way across the pages: "3 Mar 2025" for a day, "3 Mar 2025 14:05 UTC" for a moment.

The pages are read as a person sees them, tags and attributes stripped (a date input's ISO value is for the
browser), and any date written another way is named.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid

import httpx

from app.web.templating import clinical_date, clinical_dates_in
from tests.web.conftest import DemoClinic, csrf_token_in

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
DAY = rf"\b\d{{1,2}} {MONTH} \d{{4}}\b"
MOMENT = rf"{DAY} \d{{2}}:\d{{2}} UTC"
# Every other way a date or time of day could be written.
OTHER_DATES = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}\b"
    r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
    r"|\b\d{1,2}:\d{2}\b"
    r"|\b(?:January|February|March|April|June|July|August|September|October|November|December)\b"
    rf"|\b{MONTH}\b"
)


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", " ", page))


def dates_written_otherwise(page: str) -> list[str]:
    text = visible_text(page)
    without_ours = re.sub(DAY, "⟨day⟩", re.sub(MOMENT, "⟨moment⟩", text))
    return OTHER_DATES.findall(without_ours)


async def _patient_page_with_advice_given(consultant: httpx.AsyncClient, clinic: DemoClinic) -> str:
    entries = await clinic.worklist(consultant)
    entry = next(entry for entry in entries if entry["advice_request_id"])
    page_path = f"/clinics/{clinic.id}/patients/{entry['nhs_number']}"
    page = (await consultant.get(page_path)).text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    form = {
        "csrf_token": csrf_token_in(page),
        "advice_request_id": str(entry["advice_request_id"]),
        "version": version.group(1),
        "idempotency_key": uuid.uuid4().hex,
        "outcome": "return-with-advice",
        "recommendation": "advice-only",
        "advice": "Repeat the U&E in two weeks.",
        "action": "repeat-ue-2-weeks",
        "due-repeat-ue-2-weeks": "2031-01-15",
    }
    sent = await consultant.post(f"{page_path}/advice", data=form)
    assert sent.status_code == 303
    response = await consultant.get(page_path)
    assert response.status_code == 200
    return response.text


async def test_the_patient_page_writes_every_date_one_way(
    consultant: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    page = await _patient_page_with_advice_given(consultant, demo_clinic)
    assert dates_written_otherwise(page) == []
    assert re.search(DAY, visible_text(page))
    assert re.search(MOMENT, visible_text(page))
    assert "by 15 Jan 2031" in visible_text(page)


async def test_the_worklist_and_clinic_list_write_every_date_one_way(
    consultant: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    for path in ("/", f"/clinics/{demo_clinic.id}"):
        response = await consultant.get(path)
        assert response.status_code == 200
        assert dates_written_otherwise(response.text) == [], path
        assert re.search(DAY, visible_text(response.text)), path


def test_a_day_and_a_moment_are_written_in_the_clinical_style() -> None:
    assert clinical_date(dt.date(2025, 3, 3)) == "3 Mar 2025"
    assert clinical_date(dt.datetime(2025, 3, 3, 14, 5)) == "3 Mar 2025 14:05 UTC"
    one_hour_east = dt.timezone(dt.timedelta(hours=1))
    assert clinical_date(dt.datetime(2025, 3, 3, 0, 30, tzinfo=one_hour_east)) == "2 Mar 2025 23:30 UTC"
    assert clinical_date(None) == "—"


def test_the_services_own_sentences_have_their_days_rewritten() -> None:
    warning = "Metformin with eGFR 37 on 2026-11-21: review the dose"
    assert clinical_dates_in(warning) == "Metformin with eGFR 37 on 21 Nov 2026: review the dose"
    assert clinical_dates_in("not a day: 2026-13-45") == "not a day: 2026-13-45"
