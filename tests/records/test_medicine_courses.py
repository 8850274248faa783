"""A medicine's course over the record's history: grouping its requests, its start and each change of dose."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from adapters.demo import demo_patients_of
from adapters.fhir_r4 import parse
from adapters.mock_gp import running_mock_gp
from app.core.config import Settings
from app.main import create_app
from app.records.medicine_courses import dose_of, generic_name, medicine_courses, strength_of
from app.web.templating import templates
from schemas.api.summary import DoseChange, MedicationPublic
from schemas.clinical import Coding, Medication, Provenance
from tests.support import fhir_factory as fhir
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file

DMD = "https://dmd.nhs.uk"
REASON = {"X-Break-Glass-Reason": "review of the patient's medicines"}


def _rx(
    name: str,
    on: str | None,
    *,
    status: str = "stopped",
    dosage: str | None = "One daily",
    code: str | None = None,
    rid: str = "",
) -> Medication:
    codings = (Coding(DMD, code, name),) if code else ()
    provenance = Provenance("A11111", "fhir-r4", rid or f"{name}-{on}", Coding("", "", name), None)
    authored = None if on is None else date.fromisoformat(on)
    return Medication(name, codings, status, authored, dosage, provenance)


def test_the_strength_is_read_from_the_name_and_left_out_of_the_medicine() -> None:
    assert strength_of("Ramipril 2.5mg capsules") == "2.5mg"
    assert strength_of("lisinopril 10 MG Oral Tablet") == "10 MG"
    assert strength_of("Digoxin 125microgram tablets") == "125microgram"
    assert strength_of("Paracetamol tablets") is None
    assert (
        generic_name("Ramipril 2.5mg capsules")
        == generic_name("RAMIPRIL 10mg  capsules")
        == "ramipril capsules"
    )
    assert generic_name("Ramipril 5mg tablets") != generic_name("Ramipril 5mg capsules")
    assert dose_of(_rx("Ramipril 5mg capsules", "2024-01-01")) == "5mg, One daily"
    assert dose_of(_rx("Ramipril capsules", "2024-01-01", dosage=None)) is None


def test_a_titrated_medicine_is_one_course_from_its_first_request_with_each_change_of_dose() -> None:
    record = [
        _rx("Amlodipine 5mg tablets", "2023-06-01", status="active"),
        _rx("Ramipril 2.5mg capsules", "2024-01-10"),
        _rx("Ramipril 1.25mg capsules", "2023-12-01"),
        _rx("Ramipril 5mg capsules", "2024-02-20", status="active"),
    ]
    amlodipine, ramipril = medicine_courses(record)
    assert ramipril.latest.name == "Ramipril 5mg capsules"
    assert ramipril.start_date == date(2023, 12, 1)
    assert [(c.on, c.previous, c.dose) for c in ramipril.dose_changes] == [
        (date(2024, 1, 10), "1.25mg, One daily", "2.5mg, One daily"),
        (date(2024, 2, 20), "2.5mg, One daily", "5mg, One daily"),
    ]
    assert amlodipine.start_date == date(2023, 6, 1)
    assert amlodipine.dose_changes == []


def test_a_re_authorised_repeat_at_the_same_dose_continues_the_course_without_a_change() -> None:
    record = [
        _rx("Metformin 500mg tablets", "2022-03-01", status="completed"),
        _rx("Metformin 500mg tablets", "2023-03-01", status="completed"),
        _rx("Metformin 500mg tablets", "2024-03-01", status="active", dosage="one  DAILY"),
    ]
    (course,) = medicine_courses(record)
    assert course.start_date == date(2022, 3, 1)
    assert course.dose_changes == []


def test_a_change_in_dosage_text_or_a_shared_code_is_the_same_medicine_changing_dose() -> None:
    record = [
        _rx("Bisoprolol", "2024-01-01", code="318419008", dosage="1.25 mg"),
        _rx("Bisoprolol fumarate", "2024-03-01", code="318419008", dosage="2.5 mg", status="active"),
    ]
    (course,) = medicine_courses(record)
    assert course.latest.name == "Bisoprolol fumarate"
    assert [(c.previous, c.dose) for c in course.dose_changes] == [("1.25 mg", "2.5 mg")]


def test_a_medicine_stopped_then_restarted_is_two_courses_each_from_its_own_start() -> None:
    record = [
        _rx("Ramipril 5mg capsules", "2021-05-01"),
        _rx("Ramipril 5mg capsules", "2023-09-01", status="active"),
    ]
    stopped, restarted = medicine_courses(record)
    assert (stopped.start_date, stopped.latest.status) == (date(2021, 5, 1), "stopped")
    assert (restarted.start_date, restarted.latest.status) == (date(2023, 9, 1), "active")
    assert stopped.dose_changes == restarted.dose_changes == []


def test_a_stopped_medicine_restarted_at_another_dose_over_a_year_later_is_a_new_course() -> None:
    record = [
        _rx("Ramipril 10mg capsules", "2021-05-01"),
        _rx("Ramipril 2.5mg capsules", "2023-09-01", status="active"),
    ]
    assert [c.start_date for c in medicine_courses(record)] == [date(2021, 5, 1), date(2023, 9, 1)]
    within_a_year = [
        _rx("Ramipril 10mg capsules", "2023-05-01"),
        _rx("Ramipril 2.5mg capsules", "2023-09-01", status="active"),
    ]
    (course,) = medicine_courses(within_a_year)
    assert [c.on for c in course.dose_changes] == [date(2023, 9, 1)]


def test_different_medicines_and_undated_requests_stay_apart() -> None:
    record = [
        _rx("Ramipril 5mg capsules", "2024-01-01", status="active"),
        _rx("Ramipril 5mg capsules", None, status="active"),
        _rx("Lisinopril 5mg tablets", "2024-01-01", status="active"),
    ]
    assert [(c.latest.name, c.start_date) for c in medicine_courses(record)] == [
        ("Ramipril 5mg capsules", date(2024, 1, 1)),
        ("Ramipril 5mg capsules", None),
        ("Lisinopril 5mg tablets", date(2024, 1, 1)),
    ]


def test_the_fhir_r4_parser_reads_a_dose_quantity_when_a_dosage_has_no_text() -> None:
    resource = fhir.medication("pat-1", 1, "Bisoprolol 2.5mg tablets", "2024-01-01")
    resource["dosageInstruction"] = [{"doseAndRate": [{"doseQuantity": {"value": 2, "unit": "tablet"}}]}]
    (medication,) = parse.medications([resource]).items
    assert medication.dosage == "2 tablet"


NHS_NUMBER = "9434765919"


def _titrated_record(directory: Path) -> None:
    pid = f"pat-{NHS_NUMBER}"
    steps = [("2023-10-02", "Ramipril 1.25mg capsules"), ("2023-11-06", "Ramipril 2.5mg capsules")]
    resources: list[dict[str, Any]] = [fhir.patient(NHS_NUMBER, birth_date="1955-03-02", gender="female")]
    for index, (when, name) in enumerate(steps):
        request = fhir.medication(pid, index, name, when)
        request["status"] = "stopped"
        resources.append(request)
    resources.append(fhir.medication(pid, 9, "Ramipril 5mg capsules", "2024-01-08"))
    resources.append(fhir.result(pid, 0, fhir.UK["egfr"], "2024-07-15", 52.0))
    fhir.write_bundle(directory, resources)


async def test_a_titration_sent_by_a_fhir_r4_practice_shows_in_the_summary(
    tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> None:
    _titrated_record(tmp_path / "data")
    with running_mock_gp(tmp_path / "data") as base_url:
        path = practices_file(tmp_path / "config", base_url=base_url, patients={NHS_NUMBER: "A11111"})
        app = create_app(settings.model_copy(update={"practices_file": path}))
        app.state.clock = lambda: datetime(2024, 9, 1, 9, 0, tzinfo=UTC)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                response = await client.get(
                    f"/v1/patients/{NHS_NUMBER}/summaries/nephrology",
                    headers={**bearer(identity.consultant()), **REASON},
                )
    assert response.status_code == 200, response.text
    (ramipril,) = response.json()["medications"]
    assert ramipril["name"] == "Ramipril 5mg capsules"
    assert ramipril["classes"] == ["acei"]
    assert ramipril["start_date"] == "2023-10-02"
    assert ramipril["dose_changes"] == [
        {"date": "2023-11-06", "previous_dosage": "1.25mg", "dosage": "2.5mg"},
        {"date": "2024-01-08", "previous_dosage": "2.5mg", "dosage": "5mg"},
    ]


async def test_the_demo_patient_on_titrated_ramipril_shows_each_step(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    patient = next(p for p in demo_patients_of("heart-failure") if "ramipril titrated" in p.story)
    headers = {**bearer(identity.consultant(specialty="heart-failure")), **REASON}
    response = await client.get(f"/v1/patients/{patient.nhs_number}/summaries/heart-failure", headers=headers)
    assert response.status_code == 200, response.text
    ramipril = next(m for m in response.json()["medications"] if m["name"].startswith("Ramipril"))
    assert ramipril["status"] == "active"
    assert [(c["previous_dosage"] or "").split(",")[0] for c in ramipril["dose_changes"]] == [
        "1.25mg",
        "2.5mg",
    ]
    assert [(c["dosage"] or "").split(",")[0] for c in ramipril["dose_changes"]] == ["2.5mg", "5mg"]
    assert ramipril["start_date"] < ramipril["dose_changes"][0]["date"]


def test_the_medicines_panel_shows_each_change_of_dose_from_and_to() -> None:
    ramipril = MedicationPublic(
        name="Ramipril 5mg capsules",
        classes=["acei"],
        status="active",
        start_date=date(2023, 10, 2),
        dose_changes=[
            DoseChange(date=date(2024, 1, 8), previous_dosage="2.5mg, One daily", dosage="5mg, One daily")
        ],
    )
    view = SimpleNamespace(medicines=[ramipril], medicine_classes={"acei": "ACE inhibitor"})
    html = templates.env.get_template("panels/medicines.html").render(view=view)
    assert "8 Jan 2024: 2.5mg, One daily to 5mg, One daily" in html
    assert "2 Oct 2023" in html
