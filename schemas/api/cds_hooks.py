"""CDS Hooks 2.0 requests and responses (cds-hooks.hl7.org/2.0), in the specification's own field names.

Field names are the specification's camelCase on the wire (aliases) and snake_case in Python. Only the
``patient-view`` hook is offered, so only its context is modelled; unknown members are ignored, as the
specification asks of a service so that clients can add fields. Text an EHR sends takes the bounded types of
``schemas.text``, which refuse control characters, as every other request's text does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.text import Code, MessageText, NoteText, ShortText

# A FHIR id (R4 §2.24 "id"): what a prefetch token may put into a query.
FHIR_ID_PATTERN = r"^[A-Za-z0-9\-.]{1,64}$"
# "Practitioner/123" and its kin: the user in the EHR the hook fired for.
FHIR_REFERENCE_PATTERN = r"^(Practitioner|PractitionerRole|Patient|RelatedPerson)/[A-Za-z0-9\-.]{1,64}$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# RFC 6750 §2.1 b64token: all a bearer token may be, as it goes into the Authorization header of each read
# of the EHR's FHIR server. Anything else could not be sent, so it is refused with the call.
BEARER_TOKEN_PATTERN = r"^[A-Za-z0-9\-._~+/]+=*$"  # noqa: S105 - a syntax, not a secret


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class CdsCoding(_Wire):
    system: ShortText | None = None
    code: ShortText = Field(min_length=1)
    display: NoteText | None = None


# --- Discovery ----------------------------------------------------------------------------------------------


class CdsServiceDescription(_Wire):
    hook: str
    title: str
    description: str
    id: str
    prefetch: dict[str, str] = Field(description="Prefetch key → FHIR query template with context tokens")
    usage_requirements: str | None = Field(default=None, alias="usageRequirements")


class CdsDiscovery(_Wire):
    services: list[CdsServiceDescription]


# --- A call of a service ------------------------------------------------------------------------------------


class FhirAuthorization(_Wire):
    access_token: str = Field(min_length=1, max_length=8192, pattern=BEARER_TOKEN_PATTERN)
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: MessageText
    subject: ShortText


class PatientViewContext(_Wire):
    user_id: str = Field(alias="userId", pattern=FHIR_REFERENCE_PATTERN)
    patient_id: str = Field(alias="patientId", pattern=FHIR_ID_PATTERN)
    encounter_id: str | None = Field(default=None, alias="encounterId", pattern=FHIR_ID_PATTERN)


class CdsServiceRequest(_Wire):
    hook: Literal["patient-view"]
    hook_instance: str = Field(alias="hookInstance", pattern=UUID_PATTERN)
    fhir_server: NoteText | None = Field(default=None, alias="fhirServer")
    fhir_authorization: FhirAuthorization | None = Field(default=None, alias="fhirAuthorization")
    context: PatientViewContext
    prefetch: dict[str, dict[str, Any] | None] | None = Field(
        default=None,
        description="Key → the FHIR resource or Bundle the EHR fetched; null when it holds no data, and a "
        "key left out when the EHR did not fetch it",
    )


# --- Cards --------------------------------------------------------------------------------------------------


class CardSource(_Wire):
    label: str
    url: str | None = None
    topic: CdsCoding | None = None


class SuggestionAction(_Wire):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None


class Suggestion(_Wire):
    label: str
    uuid: str
    is_recommended: bool = Field(alias="isRecommended")
    actions: list[SuggestionAction]


class CardLink(_Wire):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    app_context: str | None = Field(default=None, alias="appContext")


class Card(_Wire):
    uuid: str = Field(description="Names the card in feedback")
    summary: str = Field(max_length=139, description="Under 140 characters, as the specification requires")
    detail: str = Field(description="GitHub-flavoured Markdown: each rule met, with its evidence")
    indicator: Literal["info", "warning", "critical"]
    source: CardSource
    suggestions: list[Suggestion]
    selection_behavior: Literal["at-most-one", "any"] = Field(alias="selectionBehavior")
    override_reasons: list[CdsCoding] = Field(alias="overrideReasons")
    links: list[CardLink]


class CdsServiceResponse(_Wire):
    cards: list[Card]
    system_actions: list[dict[str, Any]] = Field(default_factory=list, alias="systemActions")


# --- Feedback -----------------------------------------------------------------------------------------------


class OverrideReason(_Wire):
    reason: CdsCoding | None = None
    user_comment: MessageText | None = Field(default=None, alias="userComment")


class AcceptedSuggestion(_Wire):
    id: Code


class CardFeedback(_Wire):
    card: str = Field(pattern=UUID_PATTERN)
    outcome: Literal["accepted", "overridden"]
    accepted_suggestions: list[AcceptedSuggestion] = Field(
        default_factory=list, alias="acceptedSuggestions", max_length=20
    )
    override_reason: OverrideReason | None = Field(default=None, alias="overrideReason")
    outcome_timestamp: dt.datetime = Field(alias="outcomeTimestamp")


class CdsFeedbackCreate(_Wire):
    feedback: list[CardFeedback] = Field(min_length=1, max_length=100)


class CdsFeedbackReceipt(_Wire):
    recorded: int = Field(description="Outcomes stored by this call")
    already_recorded: int = Field(description="Outcomes the service held already (a repeated call)")


# --- Metrics (a field of /v1/metrics/advice) ----------------------------------------------------------------


class CdsCardRuleMetrics(BaseModel):
    """How GPs answered the cards that carried one rule, over the cards the caller may see."""

    service: str
    specialty: str
    practice_ods: str
    rule: str = Field(description="A referral criterion or case-finding rule code")
    cards: int = Field(description="Cards issued carrying the rule")
    accepted: int
    overridden: int
    acceptance_rate: float | None = Field(description="accepted / cards; null with no cards")
    override_rate: float | None = Field(description="overridden / cards; null with no cards")
    override_reasons: dict[str, int] = Field(description="Override reason code → how often it was given")
