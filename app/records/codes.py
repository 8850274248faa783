"""Which codes mean which analyte: the tables of CLINICAL.md ("Units and codes").

UK GP records code results in SNOMED CT, US data (and the Synthea samples) in LOINC; both are accepted. Read
and EMIS local codes are out of scope: a practice that sends only those gives no results, never guessed ones.

The lookup is on the hot path of normalisation, so ``ANALYTE_BY_CODE`` is one dict keyed by ``(system, code)``
with every accepted spelling of each system already expanded: one hash lookup per coding, no string work.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from schemas.clinical import LOINC, SNOMED, Analyte, Coding

# GP Connect STU3 (every sample in its specification) and UK Core both write SNOMED as http://snomed.info/sct;
# the other spellings appear in CDA-derived and hand-built FHIR. The OIDs are HL7's registered identifiers.
SNOMED_SYSTEMS: tuple[str, ...] = (
    SNOMED,
    "https://snomed.info/sct",
    "http://snomed.info/sct/",
    "urn:oid:2.16.840.1.113883.6.96",
)
LOINC_SYSTEMS: tuple[str, ...] = (
    LOINC,
    "https://loinc.org",
    "http://loinc.org/",
    "urn:oid:2.16.840.1.113883.6.1",
)

_SNOMED_CODES: dict[Analyte, tuple[str, ...]] = {
    Analyte.EGFR: ("1011481000000105", "857971000000104", "1020291000000106", "1107411000000104", "80274001"),
    Analyte.CREATININE: ("1000731000000107", "1001011000000107"),
    Analyte.ACR: ("1023491000000104", "1027791000000103"),
    Analyte.POTASSIUM: ("1000651000000109",),
    Analyte.HAEMOGLOBIN: ("1022431000000105",),
    Analyte.HBA1C: ("999791000000106",),
    Analyte.SYSTOLIC_BP: ("72313002", "271649006"),
    Analyte.DIASTOLIC_BP: ("271650006", "1091811000000102"),
    # GP Connect sends a reading as one Observation with systolic and diastolic components under a header
    # code; without a recognised header it MUST use 75367002 |Blood pressure| (GP Connect Access Record
    # Structured, "Observation - blood pressure"); 163020007 |O/E - blood pressure reading| is the usual one.
    Analyte.BLOOD_PRESSURE_PANEL: ("75367002", "163020007"),
}
_LOINC_CODES: dict[Analyte, tuple[str, ...]] = {
    Analyte.EGFR: ("33914-3", "48642-3", "48643-1", "50044-7", "62238-1", "69405-9", "77147-7", "98979-8"),
    Analyte.CREATININE: ("2160-0", "14682-9", "38483-4"),
    Analyte.ACR: ("9318-7", "14959-1", "32294-1"),
    Analyte.POTASSIUM: ("2823-3", "6298-4"),
    Analyte.HAEMOGLOBIN: ("718-7",),
    Analyte.HBA1C: ("4548-4", "59261-8"),
    Analyte.SYSTOLIC_BP: ("8480-6",),
    Analyte.DIASTOLIC_BP: ("8462-4",),
    Analyte.BLOOD_PRESSURE_PANEL: ("55284-4", "85354-9"),
}

BLOOD_PRESSURE_PANEL_CODES: tuple[Coding, ...] = tuple(
    Coding(LOINC, code) for code in _LOINC_CODES[Analyte.BLOOD_PRESSURE_PANEL]
) + tuple(Coding(SNOMED, code) for code in _SNOMED_CODES[Analyte.BLOOD_PRESSURE_PANEL])
"""The panel codes whose components carry a reading: LOINC 55284-4, 85354-9 and the GP Connect headers."""


def _codings(analyte: Analyte) -> tuple[Coding, ...]:
    return tuple(Coding(SNOMED, code) for code in _SNOMED_CODES[analyte]) + tuple(
        Coding(LOINC, code) for code in _LOINC_CODES[analyte]
    )


_CODINGS: Mapping[Analyte, tuple[Coding, ...]] = MappingProxyType(
    {analyte: _codings(analyte) for analyte in Analyte}
)

SYSTOLIC_CODES: tuple[Coding, ...] = _CODINGS[Analyte.SYSTOLIC_BP]
DIASTOLIC_CODES: tuple[Coding, ...] = _CODINGS[Analyte.DIASTOLIC_BP]


def _lookup_table() -> dict[tuple[str, str], Analyte]:
    table: dict[tuple[str, str], Analyte] = {}
    for systems, codes in ((SNOMED_SYSTEMS, _SNOMED_CODES), (LOINC_SYSTEMS, _LOINC_CODES)):
        for analyte, analyte_codes in codes.items():
            for system in systems:
                for code in analyte_codes:
                    table[(system, code)] = analyte
    return table


# A plain dict behind a read-only type: a mappingproxy would add a call to every probe on the hot path.
ANALYTE_BY_CODE: Mapping[tuple[str, str], Analyte] = _lookup_table()
"""``(system, code)`` → analyte, every accepted system spelling included."""


def codes_for(analyte: Analyte) -> tuple[Coding, ...]:
    """The SNOMED and LOINC codings that mean ``analyte``, in the canonical system spellings."""
    return _CODINGS[analyte]


def analyte_for(system: str, code: str) -> Analyte | None:
    """The analyte a coding means, or None; whitespace around the code is tolerated (GP Connect sends it)."""
    analyte = ANALYTE_BY_CODE.get((system, code))
    if analyte is None and code != code.strip():
        return ANALYTE_BY_CODE.get((system, code.strip()))
    return analyte


def analyte_of(codings: tuple[Coding, ...]) -> tuple[Analyte, Coding] | None:
    """The first of ``codings`` that names an analyte, with that analyte."""
    for coding in codings:
        analyte = analyte_for(coding.system, coding.code)
        if analyte is not None:
            return analyte, coding
    return None
