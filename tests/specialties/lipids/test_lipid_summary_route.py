"""The lipids summary through the route and the real FHIR R4 adapter, from the mock GP: the demo clinic's
stories, UK and US coding of one history, and the Synthea patient's lipid panels."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapters.demo import demo_patients_of, write_demo_practice
from adapters.mock_gp import running_mock_gp
from app.core.config import Settings
from app.main import create_app
from app.specialties.lipids.plugin import LIPIDS, LipidsSummary
from schemas.clinical import LOINC, NHS_NUMBER_SYSTEM, SNOMED
from tests.support import fhir_factory as fhir
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file

TODAY = date(2024, 9, 1)
NHS_NUMBER = "9434765919"
BREAK_GLASS = {"X-Break-Glass-Reason": "test of the lipids pipeline"}
SYNTHEA = next((Path(__file__).parents[2] / "fixtures" / "synthea-r4").glob("Isaiah_Schaden_*.json"))
TC, HDL, LDL, NON_HDL, TG = (
    "total-cholesterol",
    "hdl-cholesterol",
    "ldl-cholesterol",
    "non-hdl-cholesterol",
    "triglycerides",
)


@asynccontextmanager
async def _clinic(
    data: Path, patients: list[str], settings: Settings, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    with running_mock_gp(data) as base_url:
        path = practices_file(
            tmp_path / "config", base_url=base_url, patients=dict.fromkeys(patients, "A11111")
        )
        app = create_app(settings.model_copy(update={"practices_file": path}))
        app.state.clock = lambda: datetime.combine(TODAY, datetime.min.time(), UTC).replace(hour=9)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield client


async def _summary(client: httpx.AsyncClient, identity: IdentityProvider, nhs_number: str) -> dict[str, Any]:
    headers = {**bearer(identity.consultant(specialty="lipids")), **BREAK_GLASS}
    response = await client.get(f"/v1/patients/{nhs_number}/summaries/lipids", headers=headers)
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    assert summary["specialty"] == "lipids"
    return summary


def _met(summary: dict[str, Any]) -> list[str]:
    return [c["code"] for c in summary["referral_criteria"] if c["status"] == "met"]


def _numbers(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "latest": {k: v and (v["value"], v["unit"]) for k, v in summary["latest"].items()},
        "criteria": {c["code"]: c["status"] for c in summary["referral_criteria"]},
        "dlcn": (summary["dlcn_low"], summary["dlcn_high"]),
    }


EXPECTED = {
    "Total cholesterol 8.4 at 24": ["tc-over-7.5-under-30"],
    "US-coded twin: total cholesterol 325": ["tc-over-7.5-under-30"],
    "Total cholesterol 9.6": ["tc-over-9-age-30-plus", "non-hdl-over-7.5-or-tc-over-9"],
    "Total cholesterol exactly 9.0": [],
    "Untreated LDL 8.8": ["tc-over-9-age-30-plus", "non-hdl-over-7.5-or-tc-over-9", "dlcn-over-5"],
    "LDL 12.0 at 16": [
        "tc-over-7.5-under-30",
        "non-hdl-over-7.5-or-tc-over-9",
        "homozygous-fh-range",
        "dlcn-over-5",
    ],
    "Triglyceride 14.0": ["tg-10-to-20-repeat"],
    "Triglyceride exactly 20.0": ["tg-10-to-20-repeat"],
    "Triglyceride 26.0": ["tc-over-9-age-30-plus", "non-hdl-over-7.5-or-tc-over-9", "tg-over-20-urgent"],
    "US-coded twin: triglyceride 2303": [
        "tc-over-9-age-30-plus",
        "non-hdl-over-7.5-or-tc-over-9",
        "tg-over-20-urgent",
    ],
    "Myocardial infarction on atorvastatin 80": ["secondary-prevention-above-target"],
    "Stroke on atorvastatin 80": [],
    "Triglyceride sent without a unit": [],
}


@pytest.fixture
async def demo_clinic(
    tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> dict[str, dict[str, Any]]:
    """Every lipid demo patient's summary, by the start of their story, read from the mock GP."""
    write_demo_practice(tmp_path / "data", TODAY)
    patients = demo_patients_of("lipids")
    async with _clinic(tmp_path / "data", [p.nhs_number for p in patients], settings, tmp_path) as client:
        return {p.story: await _summary(client, identity, p.nhs_number) for p in patients}


def _story(clinic: dict[str, dict[str, Any]], start: str) -> dict[str, Any]:
    return next(summary for story, summary in clinic.items() if story.startswith(start))


async def test_every_demo_story_meets_its_criteria_and_together_they_meet_every_criterion(
    demo_clinic: dict[str, dict[str, Any]],
) -> None:
    assert len(demo_clinic) >= 10
    assert {start: _met(_story(demo_clinic, start)) for start in EXPECTED} == EXPECTED
    assert {code for met in EXPECTED.values() for code in met} == {c.code for c in LIPIDS.referral_criteria}


async def test_uk_and_us_coded_demo_twins_give_identical_numbers(
    demo_clinic: dict[str, dict[str, Any]],
) -> None:
    for uk, us in [
        ("Total cholesterol 8.4 at 24", "US-coded twin: total cholesterol 325"),
        ("Triglyceride 26.0", "US-coded twin: triglyceride 2303"),
    ]:
        assert _numbers(_story(demo_clinic, uk)) == _numbers(_story(demo_clinic, us))
    assert _numbers(_story(demo_clinic, "US-coded twin: triglyceride"))["latest"][TG] == (26.0, "mmol/L")


async def test_the_demo_stories_evidence_names_the_boundaries_and_causes(
    demo_clinic: dict[str, dict[str, Any]],
) -> None:
    urgent = _story(demo_clinic, "Triglyceride 26.0")["referral_criteria"][5]
    assert urgent["urgency"] == "urgent"
    assert urgent["evidence"].endswith("is above 20; coded secondary causes to review first: Alcoholism")
    boundary = _story(demo_clinic, "Total cholesterol exactly 9.0")["referral_criteria"][1]
    assert boundary["evidence"].endswith("is not above 9.0")
    unitless = _story(demo_clinic, "Triglyceride sent without a unit")
    assert unitless["latest"][TG] is None
    assert any(TG in warning and "no unit" in warning for warning in unitless["warnings"])


async def test_the_worklist_highlights_flag_what_the_criteria_found(
    demo_clinic: dict[str, dict[str, Any]],
) -> None:
    summary = LipidsSummary.model_validate(_story(demo_clinic, "Triglyceride 26.0"))
    highlights = {h.label: (h.value, h.flag) for h in LIPIDS.highlights(summary)}
    assert highlights["Triglycerides"] == (26.0, "urgent")
    assert highlights["Non-HDL"] == (9.2, "attention")
    assert highlights["LDL"] == (2.1, "normal")


# One history: the UK laboratory's mmol/L and a US laboratory's whole mg/dL for the same samples.
PANELS = [
    # day, (TC, HDL, TG) in mmol/L, the same in mg/dL
    ("2023-03-01", (8.2, 1.2, 1.7), (317, 46, 151)),
    ("2024-08-01", (5.1, 1.3, 5.2), (197, 50, 461)),
]
CODES = {
    SNOMED: {TC: "1005671000000105", HDL: "1107681000000108", TG: "1109831000000104"},
    LOINC: {TC: "2093-3", HDL: "2085-9", TG: "2571-8"},
}


def _history(system: str, directory: Path) -> None:
    pid = f"pat-{NHS_NUMBER}"
    unit = "mmol/L" if system == SNOMED else "mg/dL"
    resources: list[dict[str, Any]] = [fhir.patient(NHS_NUMBER, birth_date="1996-03-01", gender="female")]
    for i, (day, mmol, mg_dl) in enumerate(PANELS):
        for analyte, value in zip((TC, HDL, TG), mmol if system == SNOMED else mg_dl, strict=True):
            resources.append(fhir.result(pid, i, fhir.Code(system, CODES[system][analyte], unit), day, value))
    resources.append(fhir.medication(pid, 1, "Atorvastatin 20mg tablets", "2023-06-01"))
    fhir.write_bundle(directory, resources)


async def test_uk_and_us_coding_of_one_history_give_the_same_lipids_summary(
    tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> None:
    summaries = []
    for system, name in ((SNOMED, "uk"), (LOINC, "us")):
        _history(system, tmp_path / name / "data")
        async with _clinic(tmp_path / name / "data", [NHS_NUMBER], settings, tmp_path / name) as client:
            summaries.append(await _summary(client, identity, NHS_NUMBER))
    uk, us = summaries

    def series(summary: dict[str, Any]) -> dict[str, list[tuple[str, float]]]:
        return {k: [(p["date"], p["value"]) for p in v] for k, v in summary["series"].items()}

    assert series(uk) == series(us)
    assert _numbers(uk) == _numbers(us)
    assert series(uk)[NON_HDL] == [("2023-03-01", 7.0), ("2024-08-01", 3.8)]
    # Friedewald on the first sample only: the second's triglyceride is above 4.5.
    assert series(uk)[LDL] == [("2023-03-01", 6.2)]
    assert uk["computed"] == {LDL: ["2023-03-01"], NON_HDL: ["2023-03-01", "2024-08-01"]}
    assert _met(uk) == ["tc-over-7.5-under-30"]
    assert uk["cg71_search_match"] is True
    assert uk["medications"][0]["classes"] == ["lipid-lowering"]


async def test_the_synthea_patients_lipid_panels_read_in_mmol_per_litre(
    tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> None:
    bundle = orjson.loads(SYNTHEA.read_bytes())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    # A transaction bundle refers by entry URL; a server, once loaded, refers by type and id.
    text = SYNTHEA.read_text().replace(f"urn:uuid:{patient['id']}", f"Patient/{patient['id']}")
    resources = [entry["resource"] for entry in orjson.loads(text)["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    patient["identifier"].append({"system": NHS_NUMBER_SYSTEM, "value": NHS_NUMBER})
    fhir.write_bundle(tmp_path / "data", resources)
    async with _clinic(tmp_path / "data", [NHS_NUMBER], settings, tmp_path) as client:
        summary = await _summary(client, identity, NHS_NUMBER)

    # Synthea writes mg/dL to many places: 188.34 TC, 70.90 HDL, 92.14 LDL, 126.51 TG on 2020-09-17.
    latest = {k: v and (v["date"], v["value"]) for k, v in summary["latest"].items()}
    assert latest == {
        TC: ("2020-09-17", 4.9),
        HDL: ("2020-09-17", 1.8),
        LDL: ("2020-09-17", 2.4),
        NON_HDL: ("2020-09-17", 3.1),
        TG: ("2020-09-17", 1.4),
    }
    assert len(summary["series"][TC]) >= 10
    assert summary["computed"][LDL] == []
    assert _met(summary) == []
