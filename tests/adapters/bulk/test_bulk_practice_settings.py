"""A practice's bulk settings: off unless the practice agrees, and exported from base_url by default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.records.practices import PracticeConfig

FHIR = {"name": "Mile End Surgery", "adapter": "fhir-r4", "base_url": "http://127.0.0.1:9001/fhir"}


def test_case_finding_and_type_filter_are_off_unless_the_practice_says_so() -> None:
    practice = PracticeConfig.model_validate(FHIR)

    assert (practice.case_finding, practice.bulk_type_filter, practice.group_id) == (False, False, None)


def test_the_bulk_endpoint_defaults_to_the_practice_system() -> None:
    assert PracticeConfig.model_validate(FHIR).bulk_url == "http://127.0.0.1:9001/fhir"


def test_an_icb_platform_may_serve_the_bulk_endpoint() -> None:
    practice = PracticeConfig.model_validate(FHIR | {"bulk_base_url": "https://icb.example/fhir"})

    assert practice.bulk_url == "https://icb.example/fhir"


def test_the_demo_practice_case_finds_from_memory_with_nowhere_to_export_from() -> None:
    practice = PracticeConfig.model_validate({"name": "Demo", "adapter": "demo", "case_finding": True})

    assert practice.case_finding
    assert practice.bulk_url is None


def test_a_group_id_must_be_a_fhir_id() -> None:
    practice = PracticeConfig.model_validate(FHIR | {"group_id": "a12345-registered"})

    assert practice.group_id == "a12345-registered"
    with pytest.raises(ValidationError, match="group_id"):
        PracticeConfig.model_validate(FHIR | {"group_id": "../Patient"})
