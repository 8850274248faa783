"""Every specialty's summary route through the FHIR R4 adapter against a third-party server (sekmet-fhir): a
UK-coded (SNOMED CT, UK units) and a US-coded (LOINC, US units) twin of one history give the same numbers and
meet the criteria the history should.

One server, started once for the module, holds every twin. It runs on 127.0.0.1 in a subprocess with its store
in a temporary directory. If it cannot start, the tier fails under CI (``CI=true``) and is skipped elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.demo.stories import demo_nhs_numbers
from app.core.config import Settings
from app.main import create_app
from schemas.clinical import LOINC, SNOMED
from tests.support import fhir_factory as fhir
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file
from tests.support.sekmet import load, running_sekmet, transaction

pytestmark = pytest.mark.integration

CLINIC_DAY = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)
BREAK_GLASS = {"X-Break-Glass-Reason": "test of each specialty through a FHIR server"}
PRACTICE = "A11111"

Results = list[tuple[str, list[tuple[str, float]]]]


@dataclass(frozen=True, slots=True)
class Twins:
    """One history of a specialty's analytes: each analyte's UK and US code, and its results in each unit."""

    specialty: str
    birth_date: str
    gender: str
    uk: dict[str, fhir.Code]
    us: dict[str, fhir.Code]
    # analyte → [(day, UK value, US value)]
    history: dict[str, list[tuple[str, float, float]]]
    medicines: tuple[str, ...]
    conditions: tuple[tuple[str, str], ...]
    met: tuple[str, ...]
    # The specialty's own fields, compared between the twins besides the shared envelope.
    own_fields: tuple[str, ...]


NEPHROLOGY = Twins(
    "nephrology",
    "1955-03-02",
    "female",
    fhir.UK,
    fhir.US,
    {
        "creatinine": [(d, v, v / 88.4) for d, v in (("2023-01-10", 132.6), ("2023-07-12", 150.28))]
        + [(d, v, v / 88.4) for d, v in (("2024-01-15", 167.96), ("2024-07-15", 185.64))],
        "egfr": [("2023-01-10", 48.0, 48.0), ("2024-07-15", 33.0, 33.0)],
        "acr": [
            (d, v, v * 8.84) for d, v in (("2023-01-10", 22.624434389140273), ("2024-07-15", 45.24886877828))
        ],
    },
    ("Ramipril 5mg capsules",),
    (),
    ("kfre-5y-over-5pct",),
    ("ckd", "kfre"),
)
DIABETES = Twins(
    "diabetes",
    "1960-05-02",
    "male",
    {
        "hba1c": fhir.Code(SNOMED, "999791000000106", "mmol/mol"),
        "glucose": fhir.Code(SNOMED, "1003141000000105", "mmol/L"),
    },
    {"hba1c": fhir.Code(LOINC, "4548-4", "%"), "glucose": fhir.Code(LOINC, "1558-6", "mg/dL")},
    {
        "hba1c": [("2023-09-01", 48, 6.5), ("2024-02-01", 52, 6.9), ("2024-08-01", 58, 7.5)],
        "glucose": [("2024-08-01", 7.0, 126)],
    },
    ("Metformin 500mg tablets", "Gliclazide 80mg tablets"),
    (("44054006", "Type 2 diabetes mellitus"),),
    ("hba1c-above-individual-target", "hba1c-58-or-more-intensify", "rising-hba1c"),
    ("hba1c_target", "glycaemic_outcome", "glucose_lowering_classes", "latest_hba1c_percent"),
)
HEART_FAILURE = Twins(
    "heart-failure",
    "1946-04-10",
    "female",
    {"ntprobnp": fhir.Code(SNOMED, "414799001", "ng/L")},
    {"ntprobnp": fhir.Code(LOINC, "33762-6", "pg/mL")},
    {"ntprobnp": [("2023-05-01", 700, 700), ("2024-08-01", 2600, 2600)]},
    ("Furosemide 40mg tablets",),
    (),
    ("ntprobnp-over-2000-2-week",),
    ("outcome", "confounders", "missing_attachments"),
)
LIPIDS = Twins(
    "lipids",
    "1996-03-01",
    "female",
    {
        "tc": fhir.Code(SNOMED, "1005671000000105", "mmol/L"),
        "hdl": fhir.Code(SNOMED, "1107681000000108", "mmol/L"),
        "tg": fhir.Code(SNOMED, "1109831000000104", "mmol/L"),
    },
    {
        "tc": fhir.Code(LOINC, "2093-3", "mg/dL"),
        "hdl": fhir.Code(LOINC, "2085-9", "mg/dL"),
        "tg": fhir.Code(LOINC, "2571-8", "mg/dL"),
    },
    {
        "tc": [("2023-03-01", 8.2, 317), ("2024-08-01", 5.1, 197)],
        "hdl": [("2023-03-01", 1.2, 46), ("2024-08-01", 1.3, 50)],
        "tg": [("2023-03-01", 1.7, 151), ("2024-08-01", 5.2, 461)],
    },
    ("Atorvastatin 20mg tablets",),
    (),
    ("tc-over-7.5-under-30",),
    ("computed", "cg71_search_match"),
)
SPECIALTIES = (NEPHROLOGY, DIABETES, HEART_FAILURE, LIPIDS)
NHS_NUMBERS = demo_nhs_numbers(2 * len(SPECIALTIES))
# (specialty, coding) → the twin's NHS number
PATIENTS = {
    (twins.specialty, coding): NHS_NUMBERS[2 * i + j]
    for i, twins in enumerate(SPECIALTIES)
    for j, coding in enumerate(("uk", "us"))
}


def _twin(twins: Twins, coding: str) -> list[dict[str, Any]]:
    """The twin's resources, ids made unique to the patient so every twin shares the one server."""
    nhs_number = PATIENTS[(twins.specialty, coding)]
    pid = f"pat-{nhs_number}"
    codes = twins.uk if coding == "uk" else twins.us
    resources = [fhir.patient(nhs_number, birth_date=twins.birth_date, gender=twins.gender)]
    for analyte, results in twins.history.items():
        for i, (day, uk, us) in enumerate(results):
            resources.append(fhir.result(pid, i, codes[analyte], day, uk if coding == "uk" else us))
    for i, name in enumerate(twins.medicines):
        resources.append(fhir.medication(pid, i, name, "2024-01-01"))
    for i, (code, display) in enumerate(twins.conditions):
        resources.append(
            {
                "resourceType": "Condition",
                "id": f"cond-{i}",
                "clinicalStatus": {"coding": [{"code": "active"}]},
                "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
                "subject": {"reference": f"Patient/{pid}"},
                "onsetDateTime": "2019-03-04",
            }
        )
    for resource in resources[1:]:
        resource["id"] = f"{nhs_number}-{resource['id']}"
    return resources


@pytest.fixture(scope="module")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's FHIR base URL, holding every specialty's UK and US twins."""
    with running_sekmet(tmp_path_factory.mktemp("sekmet-specialties")) as base_url:
        twins = [r for specialty in SPECIALTIES for coding in ("uk", "us") for r in _twin(specialty, coding)]
        load(base_url, transaction(twins))
        yield base_url


@asynccontextmanager
async def _clinic(base_url: str, settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    registrations = dict.fromkeys(PATIENTS.values(), PRACTICE)
    path = practices_file(
        tmp_path / "config", base_url=base_url, patients=registrations, timeout_seconds=30.0
    )
    app = create_app(settings.model_copy(update={"practices_file": path}))
    app.state.clock = lambda: CLINIC_DAY
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def _summary(
    client: httpx.AsyncClient, identity: IdentityProvider, twins: Twins, coding: str
) -> dict[str, Any]:
    nhs_number = PATIENTS[(twins.specialty, coding)]
    response = await client.get(
        f"/v1/patients/{nhs_number}/summaries/{twins.specialty}",
        headers={**bearer(identity.consultant(specialty=twins.specialty)), **BREAK_GLASS},
    )
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    assert summary["specialty"] == twins.specialty
    return summary


def _numbers(summary: dict[str, Any], twins: Twins) -> dict[str, Any]:
    """What coding must not change: every dated value, the criteria and the specialty's own fields."""
    return {
        "series": {k: [(p["date"], p["value"], p["unit"]) for p in v] for k, v in summary["series"].items()},
        "latest": summary["latest"],
        "criteria": {c["code"]: c["status"] for c in summary["referral_criteria"]},
        "medicines": [m["name"] for m in summary["medications"]],
        "complete": summary["complete"],
        **{field: summary[field] for field in twins.own_fields},
    }


def _close(left: Any, right: Any) -> bool:
    """Equal, floats to a relative 1e-9: the only difference a unit conversion may leave."""
    if isinstance(left, float) and isinstance(right, float):
        return abs(left - right) <= 1e-9 * max(1.0, abs(left))
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(_close(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_close(left[k], right[k]) for k in left)
    return bool(left == right)


@pytest.mark.parametrize("twins", SPECIALTIES, ids=[t.specialty for t in SPECIALTIES])
async def test_uk_and_us_coded_twins_give_the_same_summary_and_meet_the_expected_criteria(
    sekmet: str, settings: Settings, identity: IdentityProvider, tmp_path: Path, twins: Twins
) -> None:
    async with _clinic(sekmet, settings, tmp_path) as client:
        uk = await _summary(client, identity, twins, "uk")
        us = await _summary(client, identity, twins, "us")

    assert uk["complete"] is True
    assert uk["warnings"] == us["warnings"]
    assert _close(_numbers(uk, twins), _numbers(us, twins)), (_numbers(uk, twins), _numbers(us, twins))
    assert tuple(c["code"] for c in uk["referral_criteria"] if c["status"] == "met") == twins.met
    assert sum(len(points) for points in uk["series"].values()) >= sum(map(len, twins.history.values()))
