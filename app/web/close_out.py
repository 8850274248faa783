"""The close-out questions a GP answers when acknowledging advice, in the words the practice reads.

The values are the API's codes (``AcknowledgementCreate``); the wording of the two Champlain BASE questions is
their published close-out survey's (Liddy et al.), so the practice's answers compare with theirs. A question
added to ``AcknowledgementCreate`` needs its name in ``CLOSE_OUT_FIELDS`` and its choices here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.core.errors import Unprocessable
from schemas.api.advice import AcknowledgementCreate, CourseOfAction, ReferralOutcome

CLOSE_OUT_FIELDS = ("referral_avoided", "course_of_action", "referral_outcome")

COURSE_OF_ACTION_WORDS: dict[CourseOfAction, str] = {
    CourseOfAction.CONFIRMED: "I was able to confirm a course of action that I originally had in mind",
    CourseOfAction.NEW_OR_ADDITIONAL: "I got advice on a new or additional course of action",
    CourseOfAction.RESPONSE_NOT_USEFUL: "I did not find the response very useful",
    CourseOfAction.NONE: "None of the above",
}

REFERRAL_OUTCOME_WORDS: dict[ReferralOutcome, str] = {
    ReferralOutcome.CONTEMPLATED_NOW_AVOIDED: "A referral was originally contemplated but is now avoided",
    ReferralOutcome.CONTEMPLATED_STILL_NEEDED: "A referral was originally contemplated and is still needed",
    ReferralOutcome.NOT_CONTEMPLATED_NOT_NEEDED: (
        "A referral was not originally contemplated and is still not needed"
    ),
    ReferralOutcome.NOT_CONTEMPLATED_NOW_INITIATED: (
        "A referral was not originally contemplated, but the advice led to a referral being made"
    ),
    ReferralOutcome.NO_BENEFIT: "There was no benefit from the advice in this case",
    ReferralOutcome.OTHER: "Other",
}


@dataclass(frozen=True, slots=True)
class CloseOutQuestion:
    """A Champlain BASE question of the form: its field, its wording and its choices (code, words)."""

    field: str
    legend: str
    choices: tuple[tuple[str, str], ...]


CLOSE_OUT_QUESTIONS = (
    CloseOutQuestion(
        "course_of_action",
        "Which best describes what the advice did for this patient?",
        tuple((code.value, words) for code, words in COURSE_OF_ACTION_WORDS.items()),
    ),
    CloseOutQuestion(
        "referral_outcome",
        "As a result of the advice, would you say that:",
        tuple((code.value, words) for code, words in REFERRAL_OUTCOME_WORDS.items()),
    ),
)
REFERRAL_AVOIDED_CHOICES = (("true", "Yes"), ("false", "No"), ("", "Not known yet"))


def close_out_from_form(form: FormData) -> AcknowledgementCreate:
    """The close-out answers the GP gave, as the API's acknowledgement; an unanswered question is None.

    Answers that contradict each other (a referral still needed, yet avoided) are refused as the API refuses
    them, saying which.
    """
    answers: dict[str, Any] = {}
    for name in CLOSE_OUT_FIELDS:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            answers[name] = value.strip()
    try:
        return AcknowledgementCreate.model_validate(answers)
    except ValidationError as invalid:
        if any(not error["loc"] for error in invalid.errors()):
            raise Unprocessable(
                "the answers disagree: the referral outcome chosen says whether a referral was avoided"
            ) from None
        raise Unprocessable("choose one of the answers offered for each close-out question") from None
