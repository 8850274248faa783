"""Summaries through the real FHIR R4 adapter from mock GP servers: the same facts coded the UK way and
the US way give the same numbers, and an upstream failure is a clear 502/503/504 or an incomplete summary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.mock_gp import FaultConfig, running_mock_gp
from app.core.config import Settings
from app.main import create_app
from tests.support import fhir_factory as fhir
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file

NHS_NUMBER = "9434765919"
CLINIC_DAY = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)
HEADERS_REASON = {"X-Break-Glass-Reason": "test of the record pipeline"}

# The same clinical history, in UK units; the US record carries each value converted exactly.
CREATININE_UMOL = [
    ("2023-01-10", 132.6),
    ("2023-07-12", 150.28),
    ("2024-01-15", 167.96),
    ("2024-07-15", 185.64),
]
REPORTED_EGFR = [("2023-01-10", 48.0), ("2024-07-15", 33.0)]
ACR_MG_MMOL = [("2023-01-10", 22.624434389140273), ("2024-07-15", 45.248868778280546)]


def _record(codes: dict[str, fhir.Code], directory: Path) -> None:
    pid = f"pat-{NHS_NUMBER}"
    resources: list[dict[str, Any]] = [fhir.patient(NHS_NUMBER, birth_date="1955-03-02", gender="female")]
    us = codes is fhir.US
    for i, (when, umol) in enumerate(CREATININE_UMOL):
        value = umol / 88.4 if us else umol
        resources.append(fhir.result(pid, i, codes["creatinine"], when, value))
    for i, (when, egfr) in enumerate(REPORTED_EGFR):
        resources.append(fhir.result(pid, i, codes["egfr"], when, egfr))
    for i, (when, acr) in enumerate(ACR_MG_MMOL):
        resources.append(fhir.result(pid, i, codes["acr"], when, acr * 8.84 if us else acr))
    resources.append(fhir.medication(pid, 1, "Ramipril 5mg capsules", "2024-02-01"))
    fhir.write_bundle(directory, resources)


@asynccontextmanager
async def _app_on(
    base_url: str, settings: Settings, tmp_path: Path, **practice: Any
) -> AsyncIterator[httpx.AsyncClient]:
    path = practices_file(tmp_path / "config", base_url=base_url, patients={NHS_NUMBER: "A11111"}, **practice)
    app = create_app(settings.model_copy(update={"practices_file": path}))
    app.state.clock = lambda: __import__("datetime").datetime(
        2024, 9, 1, 9, 0, tzinfo=__import__("datetime").UTC
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def _summary_from(
    codes: dict[str, fhir.Code], tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> dict[str, Any]:
    _record(codes, tmp_path / "data")
    with running_mock_gp(tmp_path / "data") as base_url:
        async with _app_on(base_url, settings, tmp_path) as client:
            response = await client.get(
                f"/v1/patients/{NHS_NUMBER}/summaries/nephrology",
                headers={**bearer(identity.consultant()), **HEADERS_REASON},
            )
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    return summary


def _numbers(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "egfr": [(p["date"], p["origin"], p["value"]) for p in summary["egfr"]["series"]],
        "creatinine": [(p["date"], p["value"]) for p in summary["creatinine"]["series"]],
        "acr": [(p["date"], p["value"]) for p in summary["acr"]["series"]],
        "slope": summary["egfr"]["slope_per_year"],
        "ckd": summary["ckd"],
        "kfre": (summary["kfre"]["two_year_percent"], summary["kfre"]["five_year_percent"]),
        "criteria": {c["code"]: c["status"] for c in summary["referral_criteria"]},
        "classes": [m["classes"] for m in summary["medications"]],
    }


def _close(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return abs(left - right) <= 1e-9 * max(1.0, abs(left))
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(_close(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_close(left[k], right[k]) for k in left)
    return bool(left == right)


async def test_uk_and_us_coding_of_the_same_facts_give_the_same_summary(
    tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> None:
    uk = _numbers(await _summary_from(fhir.UK, tmp_path / "uk", settings, identity))
    us = _numbers(await _summary_from(fhir.US, tmp_path / "us", settings, identity))
    # Relative tolerance 1e-9: the only difference is floating-point rounding in the unit conversions.
    assert _close(uk, us), (uk, us)
    assert [origin for _, origin, _ in uk["egfr"]] == ["reported", "calculated", "calculated", "reported"]
    assert uk["ckd"]["a_category"] == "A3"
    assert uk["kfre"][1] is not None


async def _summary_with(
    faults: FaultConfig, tmp_path: Path, settings: Settings, identity: IdentityProvider, **practice: Any
) -> httpx.Response:
    _record(fhir.UK, tmp_path / "data")
    with running_mock_gp(tmp_path / "data", faults) as base_url:
        async with _app_on(base_url, settings, tmp_path, **practice) as client:
            return await client.get(
                f"/v1/patients/{NHS_NUMBER}/summaries/nephrology",
                headers={**bearer(identity.consultant()), **HEADERS_REASON},
            )


@pytest.mark.parametrize(
    ("faults", "status"),
    [
        (FaultConfig(error_count=100, error_status=503), 503),
        (FaultConfig(error_count=100, error_status=500), 502),
        (FaultConfig(malformed_count=100), 502),
        (FaultConfig(truncated_count=100), 502),
    ],
    ids=["practice-503", "practice-500", "malformed-json", "truncated-body"],
)
async def test_a_failing_practice_is_a_clear_upstream_problem(
    tmp_path: Path, settings: Settings, identity: IdentityProvider, faults: FaultConfig, status: int
) -> None:
    response = await _summary_with(faults, tmp_path, settings, identity)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text


async def test_a_slow_practice_is_a_504(
    tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> None:
    response = await _summary_with(
        FaultConfig(latency_ms=1500), tmp_path, settings, identity, timeout_seconds=0.3
    )
    assert response.status_code == 504, response.text


async def test_an_unreachable_practice_is_a_503(
    settings: Settings, identity: IdentityProvider, tmp_path: Path
) -> None:
    async with _app_on("http://127.0.0.1:9/fhir", settings, tmp_path) as client:
        response = await client.get(
            f"/v1/patients/{NHS_NUMBER}/summaries/nephrology",
            headers={**bearer(identity.consultant()), **HEADERS_REASON},
        )
    assert response.status_code == 503, response.text


async def test_one_failed_search_marks_the_summary_incomplete_and_names_it(
    tmp_path: Path, settings: Settings, identity: IdentityProvider
) -> None:
    faults = FaultConfig(error_count=100, error_status=503, resource_types=("MedicationRequest",))
    response = await _summary_with(faults, tmp_path, settings, identity)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["complete"] is False
    source = summary["sources"][0]
    assert source["status"] == "partial"
    assert "medication" in (source["detail"] or "").lower()
    assert summary["egfr"]["series"]
