"""From a GP Connect structured record ``Bundle`` (STU3) to the ``Source*`` types.

GP Connect answers by clinical area, not by code, so observations are filtered here to the codes and dates the
query asked for. Test results reach us three ways (GP Connect "Investigations" and "Uncategorised data"):
single observations, members of a test group, and components of one observation (blood pressure); each is read
as the observation it is, and a result without its own date takes the time its specimen was collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from adapters.gp_connect.stu3 import (
    canonical_system,
    codings,
    concept_text,
    is_confidential,
    parse_date,
    parse_datetime,
    quantity,
    reference_id,
    status_code,
)
from schemas.clinical import (
    NHS_NUMBER_SYSTEM,
    Coding,
    RecordQuery,
    Sex,
    SourceCondition,
    SourceMedication,
    SourceObservation,
    SourcePatient,
    SourceQuantity,
)

_SEXES = {"male": Sex.MALE, "female": Sex.FEMALE, "other": Sex.OTHER}


@dataclass(slots=True)
class StructuredRecord:
    """The parts of one bundle, before the source adds who and where they came from."""

    patient: SourcePatient | None
    observations: list[SourceObservation] = field(default_factory=list)
    medications: list[SourceMedication] = field(default_factory=list)
    conditions: list[SourceCondition] = field(default_factory=list)
    lists: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)


class ObservationFilter:
    """The query's codes, each with the earliest date any of its searches wants (None: no lower bound)."""

    def __init__(self, query: RecordQuery) -> None:
        self.since: dict[tuple[str, str], date | None] = {}
        for search in query.observations:
            for coding in search.codes:
                key = (canonical_system(coding.system), coding.code)
                if key not in self.since:
                    self.since[key] = search.since
                    continue
                earlier = self.since[key]
                widest = None if earlier is None or search.since is None else min(earlier, search.since)
                self.since[key] = widest

    def wants(self, observation: SourceObservation) -> bool:
        for coding in _all_codings(observation):
            key = (canonical_system(coding.system), coding.code)
            if key not in self.since:
                continue
            since = self.since[key]
            if since is None or observation.effective is None or observation.effective.date() >= since:
                return True
        return False


def _all_codings(observation: SourceObservation) -> Iterator[Coding]:
    yield from observation.codings
    for component in observation.components:
        yield from component.codings


def read_bundle(bundle: dict[str, Any], wanted: ObservationFilter | None) -> StructuredRecord:
    """Every resource of ``bundle`` by type; observations only those ``wanted`` (None: none at all)."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in _resources(bundle):
        kind = resource.get("resourceType")
        if isinstance(kind, str):
            by_type.setdefault(kind, []).append(resource)
    patients = by_type.get("Patient", [])
    record = StructuredRecord(
        patient=_patient(patients[0]) if patients else None,
        lists=by_type.get("List", []),
        outcomes=by_type.get("OperationOutcome", []),
    )
    if wanted is not None:
        specimens = _by_id(by_type.get("Specimen", []))
        for resource in by_type.get("Observation", []):
            if _is_test_group(resource):
                continue
            observation = _observation(resource, specimens)
            if wanted.wants(observation):
                record.observations.append(observation)
    medicines = _by_id(by_type.get("Medication", []))
    requests = _by_id(by_type.get("MedicationRequest", []))
    record.medications = [
        _medication(statement, medicines, requests) for statement in by_type.get("MedicationStatement", [])
    ]
    record.conditions = [_condition(resource) for resource in by_type.get("Condition", [])]
    return record


def _by_id(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {resource["id"]: resource for resource in resources if isinstance(resource.get("id"), str)}


def _resources(bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in bundle.get("entry") or ():
        if not isinstance(entry, dict):
            continue
        # The specification's own examples sometimes put a resource straight into ``entry``.
        resource = entry.get("resource", entry)
        if isinstance(resource, dict):
            yield resource


def _patient(resource: dict[str, Any]) -> SourcePatient:
    nhs_number = next(
        (
            identifier.get("value")
            for identifier in resource.get("identifier") or ()
            if isinstance(identifier, dict) and identifier.get("system") == NHS_NUMBER_SYSTEM
        ),
        None,
    )
    return SourcePatient(
        resource_id=str(resource.get("id", "")),
        nhs_number=nhs_number if isinstance(nhs_number, str) else "",
        name=_name(resource.get("name")),
        birth_date=parse_date(resource.get("birthDate")),
        sex=_SEXES.get(resource.get("gender", ""), Sex.UNKNOWN),
    )


def _name(names: Any) -> str | None:
    """The official name as given names then family name; GP Connect also sends usual and nicknames."""
    candidates = [name for name in names or () if isinstance(name, dict)]
    official = next((name for name in candidates if name.get("use") == "official"), None)
    chosen = official or (candidates[0] if candidates else None)
    if chosen is None:
        return None
    parts = [part for part in (*(chosen.get("given") or ()), chosen.get("family")) if isinstance(part, str)]
    text = chosen.get("text")
    return " ".join(parts) if parts else (text if isinstance(text, str) else None)


def _taken_at(resource: dict[str, Any], specimens: dict[str, dict[str, Any]]) -> datetime | None:
    effective = parse_datetime(resource.get("effectiveDateTime"))
    if effective is None and isinstance(resource.get("effectivePeriod"), dict):
        effective = parse_datetime(resource["effectivePeriod"].get("start"))
    if effective is None:
        specimen = specimens.get(reference_id(resource.get("specimen"), "Specimen") or "")
        collection = specimen.get("collection") if specimen else None
        if isinstance(collection, dict):
            effective = parse_datetime(collection.get("collectedDateTime"))
    return effective if effective is not None else parse_datetime(resource.get("issued"))


def _is_test_group(resource: dict[str, Any]) -> bool:
    """A test group header (GP Connect "Observation - test group"): no value of its own, only its members,
    which are read in their own right. Labs sometimes code a group like its single result."""
    if "valueQuantity" in resource or resource.get("component"):
        return False
    related = resource.get("related") or ()
    return any(isinstance(link, dict) and link.get("type") == "has-member" for link in related)


def _observation(resource: dict[str, Any], specimens: dict[str, dict[str, Any]]) -> SourceObservation:
    value, unit, comparator = quantity(resource.get("valueQuantity"))
    components = []
    for component in resource.get("component") or ():
        if isinstance(component, dict):
            part_value, part_unit, part_comparator = quantity(component.get("valueQuantity"))
            components.append(
                SourceQuantity(codings(component.get("code")), part_value, part_unit, part_comparator)
            )
    return SourceObservation(
        resource_id=str(resource.get("id", "")),
        codings=codings(resource.get("code")),
        status=str(resource.get("status", "unknown")),
        effective=_taken_at(resource, specimens),
        value=value,
        unit=unit,
        comparator=comparator,
        components=tuple(components),
        value_codings=codings(resource.get("valueCodeableConcept")),
        confidential=is_confidential(resource),
    )


def _medication(
    statement: dict[str, Any], medicines: dict[str, dict[str, Any]], requests: dict[str, dict[str, Any]]
) -> SourceMedication:
    medicine = medicines.get(reference_id(statement.get("medicationReference"), "Medication") or "")
    concept = medicine.get("code") if medicine else statement.get("medicationCodeableConcept")
    # The authorisation (MedicationRequest, intent plan) the statement summarises dates the prescribing.
    based_on = statement.get("basedOn")
    first = based_on[0] if isinstance(based_on, list) and based_on else based_on
    authorisation = requests.get(reference_id(first, "MedicationRequest") or "")
    authored_on = parse_date(authorisation.get("authoredOn")) if authorisation else None
    if authored_on is None:
        period = statement.get("effectivePeriod")
        authored_on = parse_date(
            statement.get("effectiveDateTime") or (period.get("start") if isinstance(period, dict) else None)
        )
    dosage = statement.get("dosage") or ()
    dosage_text = dosage[0].get("text") if dosage and isinstance(dosage[0], dict) else None
    return SourceMedication(
        resource_id=str(statement.get("id", "")),
        name=concept_text(concept) or "Unnamed medication",
        codings=codings(concept),
        status=str(statement.get("status", "unknown")),
        authored_on=authored_on,
        dosage=dosage_text if isinstance(dosage_text, str) else None,
        confidential=is_confidential(statement) or (medicine is not None and is_confidential(medicine)),
    )


def _condition(resource: dict[str, Any]) -> SourceCondition:
    onset = parse_date(resource.get("onsetDateTime"))
    if onset is None and isinstance(resource.get("onsetPeriod"), dict):
        onset = parse_date(resource["onsetPeriod"].get("start"))
    return SourceCondition(
        resource_id=str(resource.get("id", "")),
        codings=codings(resource.get("code")),
        clinical_status=status_code(resource.get("clinicalStatus")),
        verification_status=status_code(resource.get("verificationStatus")),
        onset=onset,
        confidential=is_confidential(resource),
    )
