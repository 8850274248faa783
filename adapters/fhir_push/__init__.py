"""Advice pushed to a practice's own FHIR R4 endpoint as a Communication and a completed Task."""

from adapters.fhir_push.delivery import FhirPushDelivery
from adapters.fhir_push.resources import ADVICE_MESSAGE_SYSTEM, ADVICE_REQUEST_SYSTEM, communication, task

__all__ = ["ADVICE_MESSAGE_SYSTEM", "ADVICE_REQUEST_SYSTEM", "FhirPushDelivery", "communication", "task"]
