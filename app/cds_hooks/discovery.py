"""One ``patient-view`` service per registered specialty, with prefetch templates from what it reads.

A new specialty gets its service with no change here: the id is ``<code>-advice`` (nephrology keeps the
name the renal clinic is known by), and the prefetch asks for the patient, one Observation search per
analyte the specialty reads (its value sets' codes), its conditions and its medication requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.records.analytes import AnalyteCatalogue
from app.specialties.base import Specialty
from schemas.api.cds_hooks import CdsServiceDescription

HOOK = "patient-view"
PATIENT_ID_TOKEN = "{{context.patientId}}"  # noqa: S105 - a prefetch token, not a secret
PATIENT_KEY = "patient"
MEDICATIONS_KEY = "medications"
CONDITIONS_KEY = "conditions"
# Prefetch Bundles carry no next page (CDS Hooks 2.0), so each analyte's search asks for its latest results,
# newest first (``_sort=-date``: the specification's own ``sort:desc`` example is not FHIR R4 search syntax).
RESULTS_PER_ANALYTE = 100
# The name a clinic goes by where it is not the specialty's title.
ADVICE_NAMES: Mapping[str, str] = {"nephrology": "renal"}


@dataclass(frozen=True, slots=True)
class CdsService:
    id: str
    specialty: Specialty
    advice_name: str
    prefetch: Mapping[str, str]

    @property
    def title(self) -> str:
        return f"Consider {self.advice_name} advice"

    def describe(self) -> CdsServiceDescription:
        return CdsServiceDescription(
            hook=HOOK,
            title=self.title,
            description=f"Cards when the patient meets the {self.specialty.title} virtual clinic's referral "
            f"criteria or case-finding rules: {self.specialty.description}",
            id=self.id,
            prefetch=dict(self.prefetch),
            usage_requirements="The EHR signs each call with a key registered for its practice; without "
            "complete prefetch it must send fhirServer on the practice's allow-list and fhirAuthorization.",
        )


def _escaped(value: str) -> str:
    """FHIR search escaping of a literal ``\\``, ``,``, ``|`` or ``$`` in a token."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|").replace("$", "\\$")


def prefetch_templates(specialty: Specialty, catalogue: AnalyteCatalogue) -> dict[str, str]:
    """Prefetch key → query template: only what the specialty's summary reads, as a record fetch asks."""
    templates = {PATIENT_KEY: f"Patient/{PATIENT_ID_TOKEN}"}
    for analyte in dict.fromkeys(need.analyte for need in specialty.needs.results):
        codes = ",".join(f"{_escaped(c.system)}|{_escaped(c.code)}" for c in catalogue.codes_for(analyte))
        templates[analyte] = (
            f"Observation?patient={PATIENT_ID_TOKEN}&code={codes}&_sort=-date&_count={RESULTS_PER_ANALYTE}"
        )
    if specialty.needs.conditions:
        templates[CONDITIONS_KEY] = f"Condition?patient={PATIENT_ID_TOKEN}"
    if specialty.needs.medication_years > 0:
        # Medicines named by reference need their Medication: the FHIR adapter includes it the same way.
        templates[MEDICATIONS_KEY] = (
            f"MedicationRequest?patient={PATIENT_ID_TOKEN}&_include=MedicationRequest:medication"
        )
    return templates


def cds_services(specialties: Iterable[Specialty], catalogue: AnalyteCatalogue) -> dict[str, CdsService]:
    """Service id → service, one per specialty, in registry order."""
    services = {}
    for specialty in specialties:
        name = ADVICE_NAMES.get(specialty.code, specialty.title.lower())
        service_id = f"{ADVICE_NAMES.get(specialty.code, specialty.code)}-advice"
        services[service_id] = CdsService(
            service_id, specialty, name, prefetch_templates(specialty, catalogue)
        )
    return services
