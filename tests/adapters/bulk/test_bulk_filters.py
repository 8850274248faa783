"""With _typeFilter on or off, the client yields exactly the resources with the codes asked for, once each."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.bulk import plan_rounds
from adapters.bulk.filters import type_filter
from schemas.bulk import BulkCodeFilter, BulkExportRequest

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
EGFR_LOINC = BulkCodeFilter("Observation", LOINC, "33914-3")
EGFR_SNOMED = BulkCodeFilter("Observation", SNOMED, "1011481000000105")
ACR = BulkCodeFilter("Observation", LOINC, "14959-1")
CKD = BulkCodeFilter("Condition", SNOMED, "431855005")
TYPES = ("Patient", "Observation", "Condition", "MedicationRequest")
REQUEST = BulkExportRequest(TYPES, codes=(EGFR_LOINC, EGFR_SNOMED, ACR, CKD))


def observation(*codes: BulkCodeFilter) -> dict[str, Any]:
    return {
        "resourceType": codes[0].resource_type if codes else "Observation",
        "code": {"coding": [{"system": c.system, "code": c.code} for c in codes]},
    }


def test_without_type_filter_one_export_asks_for_every_type_unfiltered() -> None:
    (only,) = plan_rounds(REQUEST, use_type_filter=False)

    assert only.resource_types == TYPES
    assert only.type_filters == ()


def test_with_type_filter_each_export_holds_at_most_one_filter_per_type() -> None:
    rounds = plan_rounds(REQUEST, use_type_filter=True)

    assert [r.type_filters for r in rounds] == [
        (type_filter(EGFR_LOINC), type_filter(CKD)),
        (type_filter(EGFR_SNOMED),),
        (type_filter(ACR),),
    ]
    assert rounds[0].resource_types == TYPES
    assert rounds[1].resource_types == rounds[2].resource_types == ("Observation",)


def test_a_filter_is_never_comma_joined_and_escapes_what_fhir_search_would_split() -> None:
    assert type_filter(EGFR_LOINC) == "Observation?code=http://loinc.org|33914-3"
    assert type_filter(BulkCodeFilter("Condition", "urn:x", "a,b&c")) == "Condition?code=urn:x|a%5C%2Cb%26c"


def test_a_dual_coded_result_is_yielded_once_in_the_round_of_its_first_code() -> None:
    dual = observation(EGFR_SNOMED, EGFR_LOINC)
    rounds = plan_rounds(REQUEST, use_type_filter=True)

    assert [r.wants(dual) for r in rounds] == [True, False, False]


def test_types_with_no_codes_are_kept_whole_and_patients_always() -> None:
    (only,) = plan_rounds(REQUEST, use_type_filter=False)

    assert only.wants({"resourceType": "Patient", "id": "p"})
    assert only.wants({"resourceType": "MedicationRequest", "id": "m"})
    assert not only.wants({"resourceType": "MedicationStatement", "id": "not asked for"})


def test_a_server_that_ignores_the_filter_sends_extra_the_client_drops() -> None:
    rounds = plan_rounds(REQUEST, use_type_filter=True)
    unrelated = observation(BulkCodeFilter("Observation", LOINC, "2160-0"))

    assert not any(r.wants(unrelated) for r in rounds)


CODES = st.sampled_from([EGFR_LOINC, EGFR_SNOMED, ACR, BulkCodeFilter("Observation", LOINC, "2160-0")])


@given(
    asked=st.lists(CODES, min_size=1, max_size=4),
    carried=st.lists(st.lists(CODES, max_size=3), max_size=12),
)
def test_rounds_yield_exactly_what_one_unfiltered_export_would(
    asked: list[BulkCodeFilter], carried: list[list[BulkCodeFilter]]
) -> None:
    request = BulkExportRequest(("Patient", "Observation"), codes=tuple(asked))
    resources = [observation(*codes) for codes in carried]
    (unfiltered,) = plan_rounds(request, use_type_filter=False)
    rounds = plan_rounds(request, use_type_filter=True)

    for resource in resources:
        yielded = sum(r.wants(resource) for r in rounds)
        assert yielded == (1 if unfiltered.wants(resource) else 0)
