"""Small FHIR R4 resources for tests: a patient and results coded the UK way or the US way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from schemas.clinical import LOINC, NHS_NUMBER_SYSTEM, SNOMED


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    unit: str


UK = {
    "egfr": Code(SNOMED, "1011481000000105", "mL/min/1.73m2"),
    "creatinine": Code(SNOMED, "1000731000000107", "umol/L"),
    "acr": Code(SNOMED, "1023491000000104", "mg/mmol"),
    "potassium": Code(SNOMED, "1000651000000109", "mmol/L"),
}
US = {
    "egfr": Code(LOINC, "33914-3", "mL/min/{1.73_m2}"),
    "creatinine": Code(LOINC, "2160-0", "mg/dL"),
    "acr": Code(LOINC, "14959-1", "mg/g"),
    "potassium": Code(LOINC, "2823-3", "mmol/L"),
}


def patient(nhs_number: str, *, birth_date: str, gender: str, family: str = "Khan") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": f"pat-{nhs_number}",
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": nhs_number}],
        "name": [{"use": "official", "family": family, "given": ["Ayesha"]}],
        "birthDate": birth_date,
        "gender": gender,
    }


def result(patient_id: str, index: int, code: Code, when: str, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"obs-{code.code}-{index}",
        "status": "final",
        "code": {"coding": [{"system": code.system, "code": code.code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": code.unit,
            "system": "http://unitsofmeasure.org",
            "code": code.unit,
        },
    }


def medication(patient_id: str, index: int, name: str, authored: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": f"med-{index}",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": name},
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": authored,
    }


def write_bundle(directory: Path, resources: list[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    entries = [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    path = directory / "record.json"
    path.write_bytes(orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    return path
