"""The mock GP's indexed search answers exactly what reading every resource would, in the same order, and a
deleted resource leaves every index and a tombstone behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.mock_gp.store import ResourceStore, SearchError, Tombstone

PATIENTS = ("p1", "p2", "p3")
SYSTEMS = ("http://snomed.info/sct", "http://loinc.org", "")
CODES = ("1011481000000105", "62238-1", "33914-3")
DATES = ("2019-06-01", "2020-01-15T09:00:00Z", "2020-01", "2021", "2022-12-31T23:59:59+01:00")

codings = st.lists(
    st.fixed_dictionaries({"system": st.sampled_from(SYSTEMS), "code": st.sampled_from(CODES)}), max_size=2
)
observations = st.fixed_dictionaries(
    {
        "resourceType": st.just("Observation"),
        "subject": st.fixed_dictionaries({"reference": st.sampled_from([f"Patient/{p}" for p in PATIENTS])}),
        "code": st.fixed_dictionaries({"coding": codings}),
    },
    optional={
        "effectiveDateTime": st.sampled_from(DATES),
        "issued": st.sampled_from(DATES),
    },
)
tokens = st.builds(
    lambda system, code: f"{system}|{code}" if system is not None else code,
    st.none() | st.sampled_from(SYSTEMS),
    st.sampled_from(("", *CODES)),
)
date_values = st.builds(
    lambda prefix, value: prefix + value,
    st.sampled_from(("", "ge", "gt", "le", "lt", "eq")),
    st.sampled_from(("2019", "2020-01", "2020-01-15", "2021-06-01T00:00:00Z", "2022")),
)
searches = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(("patient", "subject")),
            st.lists(st.sampled_from(PATIENTS), min_size=1).map(lambda found: ",".join(found)),
        ),
        st.tuples(st.just("code"), st.lists(tokens, min_size=1).map(",".join)),
        st.tuples(st.just("date"), date_values),
        st.tuples(st.just("_id"), st.sampled_from(("observation-1", "observation-2,observation-3", "none"))),
        st.tuples(st.just("category"), st.just("laboratory")),
    ),
    max_size=4,
)


def ids(resources: list[dict[str, Any]]) -> list[str]:
    return [resource["id"] for resource in resources]


@settings(max_examples=300, deadline=None)
@given(st.lists(observations, max_size=25), searches)
def test_an_indexed_search_finds_what_a_scan_finds_in_load_order(
    loaded: list[dict[str, Any]], params: list[tuple[str, str]]
) -> None:
    store = ResourceStore()
    for resource in loaded:
        store.add(resource)

    assert ids(store.search("Observation", params)) == ids(store.scan("Observation", params))


@settings(max_examples=200, deadline=None)
@given(st.lists(observations, min_size=1, max_size=25), st.data(), searches)
def test_after_deletions_an_indexed_search_still_finds_what_a_scan_finds(
    loaded: list[dict[str, Any]], data: st.DataObject, params: list[tuple[str, str]]
) -> None:
    store = ResourceStore()
    for resource in loaded:
        store.add(resource)
    held = ids(store.search("Observation", []))
    deleted = data.draw(st.lists(st.sampled_from(held), unique=True))

    for resource_id in deleted:
        assert store.delete("Observation", resource_id) is not None

    assert ids(store.search("Observation", params)) == ids(store.scan("Observation", params))
    assert not set(deleted) & set(ids(store.search("Observation", params)))
    assert store.count("Observation") == len(held) - len(deleted)


def test_a_deleted_resource_leaves_a_tombstone_saying_whose_it_was_and_when() -> None:
    store = ResourceStore()
    store.add({"resourceType": "Patient", "id": "p1"})
    store.add({"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"}})
    store.add({"resourceType": "Observation", "id": "o2", "subject": {"reference": "Patient/p1"}})
    monday = datetime(2026, 11, 2, 9, tzinfo=UTC)

    store.delete("Observation", "o1", at=monday)
    store.delete("Patient", "p1", at=monday + timedelta(days=1))

    assert store.read("Patient", "p1") is None
    assert store.tombstone("Observation", "o1") == Tombstone("Observation", "o1", "p1", monday)
    assert [
        (t.resource_type, t.id, t.patient_id) for t in store.deleted_since(monday - timedelta(hours=1))
    ] == [
        ("Observation", "o1", "p1"),
        ("Patient", "p1", "p1"),
    ]
    assert [t.id for t in store.deleted_since(monday)] == ["p1"]
    # Nothing went with the Patient.
    assert ids(store.search("Observation", [("patient", "p1")])) == ["o2"]
    assert store.delete("Observation", "o1") is None
    assert store.delete("Observation", "never") is None


def test_a_new_resource_never_takes_a_deleted_ones_id_and_one_created_again_is_no_longer_deleted() -> None:
    store = ResourceStore()
    first, second = store.add({"resourceType": "Task"}), store.add({"resourceType": "Task"})
    store.delete("Task", first["id"])

    third = store.add({"resourceType": "Task"})
    store.add({"resourceType": "Task", "id": first["id"]})

    assert len({first["id"], second["id"], third["id"]}) == 3
    assert store.tombstone("Task", first["id"]) is None
    assert store.deleted_since(datetime.min.replace(tzinfo=UTC)) == []


def test_a_resource_written_again_is_found_by_what_it_says_now() -> None:
    store = ResourceStore()
    store.add({"resourceType": "Task", "id": "t1", "patient": {"reference": "Patient/p1"}})
    store.add({"resourceType": "Task", "id": "t2", "patient": {"reference": "Patient/p2"}})

    store.add({"resourceType": "Task", "id": "t1", "patient": {"reference": "Patient/p2"}})

    assert ids(store.search("Task", [("patient", "p1")])) == []
    assert ids(store.search("Task", [("patient", "p2")])) == ["t1", "t2"]


def test_a_patient_is_found_by_identifier_system_alone() -> None:
    store = ResourceStore()
    for resource_id, system in (("a", "nhs"), ("b", "local")):
        identifier = {"system": system, "value": "9000000009"}
        store.add({"resourceType": "Patient", "id": resource_id, "identifier": [identifier]})

    assert ids(store.search("Patient", [("identifier", "nhs|")])) == ["a"]
    assert ids(store.search("Patient", [("identifier", "9000000009")])) == ["a", "b"]


def test_a_search_of_a_type_never_loaded_finds_nothing_but_still_checks_its_dates() -> None:
    store = ResourceStore()

    assert store.search("Condition", [("patient", "p1")]) == []
    with pytest.raises(SearchError, match="invalid date"):
        store.search("Condition", [("onset-date", "ge-yesterday")])
