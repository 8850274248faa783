"""A practice's ``attempts``: how many times each search of its system is tried, the first included."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from app.core.config import Settings
from app.records.wiring import build_practice_network
from schemas.upstream import UpstreamError
from tests.support.catalogue import CATALOGUE
from tests.support.practices import practices_file

BASE = "http://gp.test/fhir"
NHS = "9434765919"
ODS = "A11111"
PATIENT = {
    "resourceType": "Bundle",
    "type": "searchset",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "id": "p1",
                "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS}],
            }
        }
    ],
}


def _settings(settings: Settings, tmp_path: Path, attempts: int | None) -> Settings:
    chosen = {} if attempts is None else {"attempts": attempts}
    path = practices_file(tmp_path, base_url=BASE, patients={NHS: ODS}, ods=ODS, **chosen)
    return settings.model_copy(update={"practices_file": path})


async def _find_after_one_refusal(settings: Settings) -> tuple[str, int]:
    """The patient's id, or the failure, when the practice first answers 503 and then the patient; calls."""
    network = build_practice_network(settings, factory=None, catalogue=CATALOGUE)  # type: ignore[arg-type]
    try:
        with respx.mock(assert_all_called=False) as gp:
            searches = gp.get(f"{BASE}/Patient").mock(
                side_effect=[httpx.Response(503), httpx.Response(200, json=PATIENT)]
            )
            try:
                found = await network.source_for(ODS).find_patient(NHS)
            except UpstreamError as error:
                return type(error).__name__, searches.call_count
            return found.resource_id, searches.call_count
    finally:
        await network.aclose()


@pytest.mark.parametrize(("attempts", "expected"), [(None, ("p1", 2)), (2, ("p1", 2))])
async def test_a_refused_search_is_tried_again_by_default_and_when_asked(
    settings: Settings, tmp_path: Path, attempts: int | None, expected: tuple[str, int]
) -> None:
    assert await _find_after_one_refusal(_settings(settings, tmp_path, attempts)) == expected


async def test_one_attempt_gives_up_at_the_first_refusal(settings: Settings, tmp_path: Path) -> None:
    failure, calls = await _find_after_one_refusal(_settings(settings, tmp_path, 1))

    assert calls == 1
    assert failure != "p1"
