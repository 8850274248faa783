"""The advice as FHIR R4 resources for a practice's FHIR endpoint: a Communication and the request's Task.

The Communication carries the advice; its identifier is the message id under our system, so a receiver that
gets it twice keeps one. The Task is the advice request itself, completed, with the advice as its output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemas.advice import AdviceMessage, FollowUpAction

ADVICE_MESSAGE_SYSTEM = "https://vclinic.nhs.example/Id/advice-message"
ADVICE_REQUEST_SYSTEM = "https://vclinic.nhs.example/Id/advice-request"
CONSULTANT_SYSTEM = "https://vclinic.nhs.example/Id/consultant"
OUTCOME_SYSTEM = "https://vclinic.nhs.example/CodeSystem/advice-outcome"
ACTION_SYSTEM = "https://vclinic.nhs.example/CodeSystem/follow-up-action"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def _patient(message: AdviceMessage, nhs_number_system: str) -> dict[str, Any]:
    reference: dict[str, Any] = {
        "type": "Patient",
        "identifier": {"system": nhs_number_system, "value": message.patient.nhs_number},
    }
    if message.patient.name:
        reference["display"] = message.patient.name
    return reference


def _consultant(message: AdviceMessage) -> dict[str, Any]:
    reference: dict[str, Any] = {
        "type": "Practitioner",
        "identifier": {"system": CONSULTANT_SYSTEM, "value": message.consultant_id},
    }
    if message.consultant_name:
        reference["display"] = message.consultant_name
    return reference


def _practice(message: AdviceMessage) -> dict[str, Any]:
    return {"type": "Organization", "identifier": {"system": ODS_SYSTEM, "value": message.practice_ods}}


def action_text(action: FollowUpAction) -> str:
    due = f" (due {action.due_date.isoformat()})" if action.due_date else ""
    note = f": {action.note}" if action.note else ""
    return f"{action.title}{due}{note}"


def communication(message: AdviceMessage, *, nhs_number_system: str) -> dict[str, Any]:
    payload = [{"contentString": message.advice}]
    if message.actions:
        listed = "\n".join(f"- {action_text(action)}" for action in message.actions)
        payload.append({"contentString": f"Follow-up actions for the practice:\n{listed}"})
    return {
        "resourceType": "Communication",
        "identifier": [{"system": ADVICE_MESSAGE_SYSTEM, "value": message.message_id}],
        "basedOn": [{"reference": f"Task/{message.advice_request_id}"}],
        "status": "completed",
        "category": [{"text": f"{message.specialty_title} advice"}],
        "priority": message.urgency,
        "subject": _patient(message, nhs_number_system),
        "topic": {"text": message.question[:250]},
        "about": [{"identifier": {"system": ADVICE_REQUEST_SYSTEM, "value": message.advice_request_id}}],
        "sent": _instant(message.given_at),
        "recipient": [_practice(message)],
        "sender": _consultant(message),
        "payload": payload,
    }


def task(message: AdviceMessage, *, nhs_number_system: str) -> dict[str, Any]:
    outputs: list[dict[str, Any]] = [
        {"type": {"text": "advice"}, "valueString": message.advice},
        {
            "type": {"text": "advice message"},
            "valueReference": {
                "type": "Communication",
                "identifier": {"system": ADVICE_MESSAGE_SYSTEM, "value": message.message_id},
            },
        },
    ]
    outputs.extend(
        {
            "type": {"coding": [{"system": ACTION_SYSTEM, "code": action.code}], "text": "follow-up action"},
            "valueString": action_text(action),
        }
        for action in message.actions
    )
    return {
        "resourceType": "Task",
        "id": message.advice_request_id,
        "identifier": [{"system": ADVICE_REQUEST_SYSTEM, "value": message.advice_request_id}],
        "status": "completed",
        "businessStatus": {"coding": [{"system": OUTCOME_SYSTEM, "code": message.outcome}]},
        "intent": "order",
        "priority": message.urgency,
        "description": message.question,
        "for": _patient(message, nhs_number_system),
        "authoredOn": _instant(message.requested_at),
        "lastModified": _instant(message.given_at),
        "requester": _practice(message),
        "owner": _consultant(message),
        "output": outputs,
    }
