"""A practice network of one respx-mocked FHIR R4 practice, for summaries built end to end in tests."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.pds import StaticDirectory
from app.records.practices import PracticeConfig
from app.records.wiring import PracticeNetwork
from tests.adapters.fhir_r4.practice_server import BASE, NHS, source
from tests.support.catalogue import CATALOGUE

ODS = "A12345"


def fhir_network(
    http: httpx.AsyncClient, *, deadline_seconds: float = 20.0, **kwargs: Any
) -> PracticeNetwork:
    return PracticeNetwork(
        practices={ODS: PracticeConfig(name="Test", adapter="fhir-r4", base_url=BASE, delivery="feed")},
        sources={ODS: source(http, **kwargs)},
        directory=StaticDirectory({NHS: ODS}),
        catalogue=CATALOGUE,
        upstream_deadline_seconds=deadline_seconds,
    )
