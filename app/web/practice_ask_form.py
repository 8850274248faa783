"""The new-request form's fields, read as the API reads them, with each error said where the GP corrects it.

The request's fields are the API model's (``AdviceRequestCreate``) by name. ``ASK_FIELDS`` are asked on the
first step and carried through the preview; the reason for asking outside the referral criteria is asked on
the preview, once it shows that the patient meets none. A field added to ``AdviceRequestCreate`` needs its
name here and its control in the templates; checkboxes post "on", which the model reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.auth.principal import Principal
from app.specialties.registry import SPECIALTIES
from app.web.advice_form import FieldError
from schemas.api.advice import AdviceRequestCreate
from schemas.nhs_number import is_valid_nhs_number

ASK_FIELDS = ("nhs_number", "specialty", "question", "urgency", "authorised_to_convert")
REASON_FIELD = "outside_criteria_reason"
REQUEST_FIELDS = (*ASK_FIELDS, REASON_FIELD)

# The e-RS question and its two answers, word for word (en dashes included), so the practice reads here
# what it reads in e-RS.
AUTHORISATION_QUESTION = (
    "Do you authorise the provider to convert this advice request into a referral if appropriate?"
)
AUTHORISATION_ANSWERS = (
    ("yes", "Yes – I will ensure adequate clinical information is supplied"),  # noqa: RUF001
    ("no", "No – I only require advice at this time"),  # noqa: RUF001
)

_ERRORS: dict[str, tuple[str, str]] = {
    "nhs_number": ("nhs-number", "Enter the patient's 10-digit NHS number"),
    "specialty": ("specialty", "Choose the specialty to ask"),
    "question": ("question", "Write the question for the consultant"),
    "urgency": ("urgency-routine", "Choose how urgent the request is"),
    "authorised_to_convert": (
        "authorised-to-convert-yes",
        "Choose whether the provider may convert this request into a referral",
    ),
    REASON_FIELD: ("outside-criteria-reason", "Give the reason for asking outside the referral criteria"),
}
_REASON_TOO_LONG = "Keep the reason for asking outside the referral criteria to 1,000 characters"


def field_error(name: str, message: str | None = None) -> FieldError:
    element_id, default = _ERRORS.get(name, ("ask-form", f"Check the {name.replace('_', ' ')}"))
    return FieldError(name, element_id, message or default)


@dataclass(frozen=True, slots=True)
class RequestDraft:
    """The request as the GP typed it, put back in the form and carried through the preview."""

    fields: dict[str, str]

    def without_reason(self) -> RequestDraft:
        return RequestDraft({k: v for k, v in self.fields.items() if k != REASON_FIELD})


class RequestFormInvalid(Exception):
    def __init__(self, errors: dict[str, FieldError]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors

    def only_the_reason(self) -> bool:
        return set(self.errors) == {REASON_FIELD}


def draft_from_form(form: FormData) -> RequestDraft:
    fields = {name: form.get(name) for name in REQUEST_FIELDS}
    return RequestDraft({name: value for name, value in fields.items() if isinstance(value, str)})


def submission_from_draft(draft: RequestDraft, requester: Principal) -> AdviceRequestCreate:
    """The request as the API would read it; NHS numbers are often typed spaced, 943 476 5919."""
    values: dict[str, Any] = {name: value.strip() for name, value in draft.fields.items() if value.strip()}
    if "nhs_number" in values:
        values["nhs_number"] = values["nhs_number"].replace(" ", "")
    if requester.name:
        # Who asked, as the consultant's page shows it (the context the API takes from a GP system).
        values["context"] = {"requester": {"name": requester.name, "role": "GP"}}
    errors: dict[str, FieldError] = {}
    if values.get("specialty") not in SPECIALTIES:
        errors["specialty"] = field_error("specialty")
    # The API defaults to no authorisation; the page asks every GP to choose, as e-RS does.
    if values.get("authorised_to_convert") not in {code for code, _ in AUTHORISATION_ANSWERS}:
        errors["authorised_to_convert"] = field_error("authorised_to_convert")
        values.pop("authorised_to_convert", None)
    try:
        submission = AdviceRequestCreate.model_validate(values)
    except ValidationError as invalid:
        for error in invalid.errors():
            name = str(error["loc"][0]) if error["loc"] else "form"
            long = name == REASON_FIELD and error["type"] == "string_too_long"
            errors.setdefault(name, field_error(name, _REASON_TOO_LONG if long else None))
    if errors:
        raise RequestFormInvalid(errors)
    return submission


def prefilled(nhs_number: str | None, specialty: str | None) -> tuple[RequestDraft, dict[str, FieldError]]:
    """The form as a link into it fills it (a CDS Hooks card's), each value checked; a wrong one is shown
    with what to correct rather than used."""
    fields: dict[str, str] = {}
    errors: dict[str, FieldError] = {}
    if nhs_number is not None:
        digits = nhs_number.replace(" ", "")[:20]
        if is_valid_nhs_number(digits):
            fields["nhs_number"] = digits
        else:
            errors["nhs_number"] = field_error("nhs_number")
    if specialty is not None:
        if specialty in SPECIALTIES:
            fields["specialty"] = specialty
        else:
            errors["specialty"] = field_error("specialty")
    return RequestDraft(fields), errors
