"""The patient page is the generic panels fed by the envelope; a specialty adds only what is its own."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from app.web.summary_view import specialty_template
from app.web.templating import TEMPLATES_DIR
from tests.web.conftest import DemoClinic

GENERIC = [
    TEMPLATES_DIR / name
    for name in ("patient.html", "series_chart.html", "advice.html", "letter_preview.html", "worklist.html")
] + sorted((TEMPLATES_DIR / "panels").glob("*.html"))
# Words only one specialty would use.
SPECIALTY_WORDS = re.compile(
    r"eGFR|KDIGO|KFRE|NICE|kidney|renal|CKD|HbA1c|NT-proBNP|cholesterol", re.IGNORECASE
)


@pytest.mark.parametrize("template", GENERIC, ids=lambda path: path.name)
def test_the_generic_templates_name_no_specialty(template: Path) -> None:
    assert SPECIALTY_WORDS.findall(template.read_text()) == []


def test_a_specialty_template_is_found_by_its_code_and_is_optional() -> None:
    assert specialty_template("nephrology") == "specialties/nephrology.html"
    assert specialty_template("no-such-specialty") is None


async def test_each_charted_analyte_gets_its_chart_and_panel_components_share_one(
    consultant: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entries = await demo_clinic.worklist(consultant)
    page = (await consultant.get(f"/clinics/{demo_clinic.id}/patients/{entries[0]['nhs_number']}")).text
    charts = re.findall(r'<figure class="chart" id="chart-([a-z-]+)">', page)
    assert charts[0] == "egfr"
    assert {"acr", "blood-pressure-panel"} <= set(charts)
    blood_pressure = page.split('id="chart-blood-pressure-panel"')[1].split("</figure>")[0]
    assert "Systolic blood pressure" in blood_pressure
    assert "Diastolic blood pressure" in blood_pressure
    assert 'class="trend-line"' in page.split('id="chart-egfr"')[1].split("</figure>")[0]
    # Nephrology's own panel, from its own template.
    assert "● This patient" in page


async def test_results_not_charted_are_listed_with_their_latest_value(
    consultant: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    entries = await demo_clinic.worklist(consultant)
    page = (await consultant.get(f"/clinics/{demo_clinic.id}/patients/{entries[0]['nhs_number']}")).text
    other = page.split('id="other-heading"')[1].split("</section>")[0]
    assert "Potassium" in other
