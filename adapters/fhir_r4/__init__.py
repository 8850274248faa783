"""A GP practice's FHIR R4 / UK Core REST API as a record source, with the lean parser it reads with."""

from adapters.fhir_r4.source import FhirR4Source

__all__ = ["FhirR4Source"]
