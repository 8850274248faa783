"""The canonical clinical record, whatever GP system it came from.

Two layers:
- ``Source*`` types are what an adapter returns: upstream resources reduced to the fields we use, with the
  original codes and units untouched.
- ``ClinicalRecord`` and its parts are what the records service makes of them: codes mapped to analytes, units
  converted to the canonical ones, withheld and implausible items removed and counted.

Plain slotted dataclasses rather than pydantic models: a record may hold tens of thousands of observations and
parsing is the hot path; these are built from already-checked data, never from user input. The per-result
types are not frozen: a frozen dataclass sets each field through ``object.__setattr__``, which made
construction several times slower and was a third of the parse. Nothing mutates them after construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_ORGANISATION_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Coding:
    system: str
    code: str
    display: str | None = None


# --- what a specialty asks for ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObservationQuery:
    """One search: these codes, dated on or after ``since`` (None: no lower bound)."""

    name: str
    codes: tuple[Coding, ...]
    since: date | None = None


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """Everything one summary needs from the GP record, and nothing more (data minimisation)."""

    observations: tuple[ObservationQuery, ...]
    medications_since: date | None = None
    include_medications: bool = True
    include_conditions: bool = True


# --- what an adapter returns --------------------------------------------------------------------------------


@dataclass(slots=True)
class SourceQuantity:
    """A value with the upstream unit as sent (UCUM code preferred, else the unit text)."""

    codings: tuple[Coding, ...]
    value: float | None
    unit: str | None
    comparator: str | None = None


@dataclass(slots=True)
class SourceObservation:
    resource_id: str
    codings: tuple[Coding, ...]
    status: str
    effective: datetime | None
    value: float | None
    unit: str | None
    comparator: str | None = None
    components: tuple[SourceQuantity, ...] = ()
    value_codings: tuple[Coding, ...] = ()
    confidential: bool = False


@dataclass(slots=True)
class SourceMedication:
    resource_id: str
    name: str
    codings: tuple[Coding, ...]
    status: str
    authored_on: date | None
    dosage: str | None = None
    confidential: bool = False


@dataclass(slots=True)
class SourceCondition:
    resource_id: str
    codings: tuple[Coding, ...]
    clinical_status: str | None
    verification_status: str | None
    onset: date | None
    confidential: bool = False


@dataclass(frozen=True, slots=True)
class SourcePatient:
    resource_id: str
    nhs_number: str
    name: str | None
    birth_date: date | None
    sex: Sex


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """A part of the record that could not be fetched; the record is then incomplete."""

    part: str
    detail: str


@dataclass(slots=True)
class SourceRecord:
    practice_ods: str
    adapter: str
    patient: SourcePatient
    observations: list[SourceObservation] = field(default_factory=list)
    medications: list[SourceMedication] = field(default_factory=list)
    conditions: list[SourceCondition] = field(default_factory=list)
    upstream_warnings: list[str] = field(default_factory=list)
    withheld_upstream: int = 0
    failures: list[SourceFailure] = field(default_factory=list)


# --- the canonical record -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Provenance:
    practice_ods: str
    adapter: str
    resource_id: str
    code: Coding
    unit: str | None


@dataclass(slots=True)
class Measurement:
    """A numeric result in the analyte's canonical unit; ``analyte`` is its code in the analyte catalogue."""

    analyte: str
    taken_at: datetime
    value: float
    unit: str
    provenance: Provenance
    comparator: str | None = None


@dataclass(slots=True)
class BloodPressure:
    taken_at: datetime
    systolic: float
    diastolic: float
    provenance: Provenance


@dataclass(slots=True)
class Medication:
    name: str
    codings: tuple[Coding, ...]
    status: str
    authored_on: date | None
    dosage: str | None
    provenance: Provenance


@dataclass(slots=True)
class Condition:
    codings: tuple[Coding, ...]
    display: str | None
    clinical_status: str | None
    onset: date | None
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Patient:
    nhs_number: str
    name: str | None
    birth_date: date | None
    sex: Sex


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """How one upstream fared for this record: ``ok``, ``partial`` or ``failed``."""

    practice_ods: str
    adapter: str
    status: str
    detail: str | None = None


@dataclass(slots=True)
class ClinicalRecord:
    """One patient's record, normalised. Series are sorted oldest first."""

    patient: Patient
    measurements: dict[str, list[Measurement]] = field(default_factory=dict)
    blood_pressures: list[BloodPressure] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    sources: list[SourceStatus] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    withheld_confidential: int = 0
    dropped_implausible: int = 0

    @property
    def complete(self) -> bool:
        return all(source.status == "ok" for source in self.sources)

    def series(self, analyte: str) -> list[Measurement]:
        return self.measurements.get(analyte, [])
