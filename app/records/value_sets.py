"""Code lists as data: FHIR R4 ``ValueSet`` files, read once when the analyte catalogue is built.

A value set holds every code that means one analyte, SNOMED CT and LOINC side by side, in
``compose.include[].system`` + ``concept[].code``. UK laboratories are moving from the older "Serum X level"
concepts to "Substance concentration of X in serum" ones, so a value set lists both generations: a list keyed
on the old ids alone would silently miss new results.

Read and EMIS local codes are out of scope: a practice that sends only those gives no results, never guessed
ones.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import orjson

from schemas.clinical import LOINC, SNOMED, Coding

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
SYSTEM_SPELLINGS: dict[str, tuple[str, ...]] = {SNOMED: SNOMED_SYSTEMS, LOINC: LOINC_SYSTEMS}
"""Each canonical system → every spelling of it a GP system may send."""


class ValueSetError(ValueError):
    """A value-set file missing, or not a ValueSet with codes; raised while wiring, never per request."""


@cache
def load_value_set(path: str) -> tuple[Coding, ...]:
    """Every code a ValueSet file includes, in the canonical system spellings and in file order."""
    try:
        document = orjson.loads(Path(path).read_bytes())
    except (OSError, orjson.JSONDecodeError) as failure:
        raise ValueSetError(f"value set {path} cannot be read: {failure}") from None
    if not isinstance(document, dict) or document.get("resourceType") != "ValueSet":
        raise ValueSetError(f"value set {path} is not a FHIR ValueSet")
    codings = tuple(
        Coding(str(include["system"]), str(concept["code"]), concept.get("display"))
        for include in document.get("compose", {}).get("include", [])
        for concept in include.get("concept", [])
    )
    if not codings:
        raise ValueSetError(f"value set {path} includes no codes")
    return codings
