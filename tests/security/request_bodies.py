"""Valid requests for every JSON write of the API, each with the caller and state it needs, for tests that
spoil one field at a time; and the string fields the OpenAPI document says each body has."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.demo.practice import DEMO_PATIENTS
from tests.advice.practices import MILE_END, MILE_END_PATIENT, SECOND_MILE_END_PATIENT
from tests.cds_hooks.ehr import Ehr
from tests.support.identity import IdentityProvider, bearer

Path = tuple[str | int, ...]
FREE_FORM = "*"  # a JSON object that takes any key: the spoilt text goes in as a key and as a value

RENAL_ADVICE = "/cds-services/renal-advice"
# A demo patient whose eGFR fell by a quarter within a year: the renal service answers with a card.
FALLING_EGFR = next(patient.nhs_number for patient in DEMO_PATIENTS if patient.name == "Ian Murray")


@dataclass(frozen=True)
class Write:
    """A write that succeeds as it stands: its URL, headers, and one or more valid bodies (one per shape)."""

    method: str
    url: str
    headers: Callable[[], dict[str, str]]
    bodies: list[dict[str, Any]]

    def body_with(self, path: Path) -> dict[str, Any]:
        """The valid body that has a value at ``path``."""
        for body in self.bodies:
            if _has(body, path):
                return body
        raise AssertionError(f"no valid body of {self.method} {self.url} has {path}")


def _has(value: Any, path: Path) -> bool:
    for part in path:
        if part == FREE_FORM:
            return isinstance(value, dict)
        if isinstance(part, int):
            if not isinstance(value, list) or len(value) <= part:
                return False
        elif not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def replace_at(body: Any, path: Path, make: Callable[[Any], Any]) -> Any:
    """A copy of ``body`` with the value at ``path`` replaced by ``make(old value)``."""
    if not path:
        return make(body)
    head, rest = path[0], path[1:]
    if isinstance(body, list):
        assert isinstance(head, int)
        return [replace_at(item, rest, make) if index == head else item for index, item in enumerate(body)]
    return {key: replace_at(item, rest, make) if key == head else item for key, item in body.items()}


def string_fields(spec: dict[str, Any], operation: dict[str, Any]) -> Iterator[Path]:
    """Every place a string goes in the operation's JSON body, as a path; list items as index 0."""
    for path, _ in string_schemas(spec, operation):
        yield path


def string_schemas(spec: dict[str, Any], operation: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each place a string goes in the operation's JSON body, with the schema the document gives it."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        yield from _strings_in(spec, content["application/json"]["schema"], ())


def _strings_in(
    spec: dict[str, Any], schema: dict[str, Any], path: Path
) -> Iterator[tuple[Path, dict[str, Any]]]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        yield from _strings_in(spec, spec["components"]["schemas"][name], path)
        return
    for variant in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _strings_in(spec, variant, path)
    kind = schema.get("type")
    if kind == "string":
        yield path, schema
    elif kind == "array":
        yield from _strings_in(spec, schema["items"], (*path, 0))
    elif kind == "object" and "properties" in schema:
        for name, child in schema["properties"].items():
            yield from _strings_in(spec, child, (*path, name))
    elif kind == "object" and schema.get("additionalProperties", True) is not False:
        yield (*path, FREE_FORM), schema


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _signed_by(ehr: Ehr, http: httpx.Client, path: str) -> Callable[[], dict[str, str]]:
    """Headers of one call by the EHR: a JWT for the exact URL, with a fresh jti each time it is called."""
    audience = str(http.base_url).rstrip("/") + path
    return lambda: ehr.headers(path, aud=audience)


def _cds_writes(http: httpx.Client, ehr: Ehr) -> dict[str, Write]:
    """A renal-advice call answered from the EHR's server and one from complete prefetch, and feedback on
    two cards the service issued: one accepted, one overridden with a reason and a comment."""
    discovered = http.get("/cds-services", headers=_signed_by(ehr, http, "/cds-services")())
    assert discovered.status_code == 200, discovered.text
    templates = next(s["prefetch"] for s in discovered.json()["services"] if s["id"] == "renal-advice")
    patient_id = ehr.patient_id(FALLING_EGFR)
    from_server = ehr.request(patient_id, fhir_server=ehr.fhir_base)
    prefetched = ehr.request(patient_id, prefetch=ehr.prefetch(templates, patient_id))
    prefetched["context"]["encounterId"] = "gp-consultation-1"
    calling = _signed_by(ehr, http, RENAL_ADVICE)

    def issued_card() -> dict[str, Any]:
        called = http.post(
            RENAL_ADVICE, json=ehr.request(patient_id, fhir_server=ehr.fhir_base), headers=calling()
        )
        assert called.status_code == 200, called.text
        [card] = called.json()["cards"]
        return dict(card)

    accepted, overridden = issued_card(), issued_card()
    answers = [
        {
            "card": accepted["uuid"],
            "outcome": "accepted",
            "acceptedSuggestions": [{"id": accepted["suggestions"][0]["uuid"]}],
            "outcomeTimestamp": "2026-11-29T10:00:00Z",
        },
        {
            "card": overridden["uuid"],
            "outcome": "overridden",
            "overrideReason": {
                "reason": overridden["overrideReasons"][0],
                "userComment": "Seen in the renal clinic last month.",
            },
            "outcomeTimestamp": "2026-11-29T10:01:00Z",
        },
    ]
    feedback = f"{RENAL_ADVICE}/feedback"
    return {
        "POST /cds-services/{service_id}": Write("POST", RENAL_ADVICE, calling, [from_server, prefetched]),
        "POST /cds-services/{service_id}/feedback": Write(
            "POST", feedback, _signed_by(ehr, http, feedback), [{"feedback": [answer]} for answer in answers]
        ),
    }


def prepared_writes(
    http: httpx.Client, identity: IdentityProvider, *, findings: tuple[str, str], ehr: Ehr
) -> dict[str, Write]:
    """Each JSON write by its OpenAPI name, with what it needs already done: a request, a clinic, two case
    findings (``findings``: one to dismiss, one to add to a clinic), and cards issued to the practice's EHR
    (``ehr``, trusted by the server and serving its records)."""
    practice, consultant, admin = identity.practice(), identity.consultant(), identity.admin()
    request_body = {
        "nhs_number": MILE_END_PATIENT,
        "specialty": "nephrology",
        "question": "eGFR has fallen from 52 to 41 in a year. Refer, or manage in primary care?",
        "urgency": "routine",
        "context": {"medication": "ramipril 10 mg", "readings": ["BP 150/92"]},
        "outside_criteria_reason": "Patient asks whether the fall needs a specialist at all.",
    }

    def submitted(nhs_number: str) -> str:
        body = {**request_body, "nhs_number": nhs_number}
        created = http.post("/v1/advice-requests", json=body, headers={**bearer(practice), **_key()})
        assert created.status_code == 201, created.text
        request_id: str = created.json()["id"]
        return request_id

    asked, for_clinic = submitted(MILE_END_PATIENT), submitted(SECOND_MILE_END_PATIENT)
    clinic_body = {
        "specialty": "nephrology",
        "date": "2026-11-24",
        "consultant": {"sub": "dr-lee", "name": "Dr Lee"},
    }
    opened = http.post("/v1/clinics", json=clinic_body, headers=bearer(consultant))
    assert opened.status_code == 201, opened.text
    clinic = opened.json()["id"]

    def answering() -> dict[str, str]:
        etag = http.get(f"/v1/advice-requests/{asked}", headers=bearer(consultant)).headers["etag"]
        return {**bearer(consultant), **_key(), "If-Match": etag}

    action = {"code": "repeat-ue-2-weeks", "due_date": "2031-01-15", "note": "Fasting sample please."}
    advice = {
        "outcome": "return-with-advice",
        "recommendation": "advice-only",
        "advice": "Start an SGLT2 inhibitor.",
    }
    # Only given advice is acknowledged.
    advised = submitted(MILE_END_PATIENT)
    etag = http.get(f"/v1/advice-requests/{advised}", headers=bearer(consultant)).headers["etag"]
    answer_headers = {**bearer(consultant), **_key(), "If-Match": etag}
    given = http.post(f"/v1/advice-requests/{advised}/response", json=advice, headers=answer_headers)
    assert given.status_code == 201, given.text
    return {
        **_cds_writes(http, ehr),
        "POST /v1/advice-requests": Write(
            "POST", "/v1/advice-requests", lambda: {**bearer(practice), **_key()}, [request_body]
        ),
        "POST /v1/advice-requests/{advice_request_id}/messages": Write(
            "POST",
            f"/v1/advice-requests/{asked}/messages",
            lambda: {**bearer(practice), **_key()},
            [{"body": "Latest ACR 45 mg/mmol, BP 150/92 on ramipril 10 mg."}],
        ),
        "POST /v1/advice-requests/{advice_request_id}/response": Write(
            "POST", f"/v1/advice-requests/{asked}/response", answering, [{**advice, "actions": [action]}]
        ),
        "POST /v1/advice-requests/{advice_request_id}/acknowledgement": Write(
            "POST",
            f"/v1/advice-requests/{advised}/acknowledgement",
            lambda: {**bearer(practice), **_key()},
            [
                {
                    "referral_avoided": True,
                    "course_of_action": "new-or-additional-course-of-action",
                    "referral_outcome": "referral-contemplated-now-avoided",
                }
            ],
        ),
        "POST /v1/clinics": Write("POST", "/v1/clinics", lambda: bearer(consultant), [clinic_body]),
        "POST /v1/clinics/{clinic_id}/entries": Write(
            "POST",
            f"/v1/clinics/{clinic}/entries",
            lambda: bearer(consultant),
            [
                {"advice_request_id": for_clinic},
                {"nhs_number": MILE_END_PATIENT, "reason": "eGFR falling on the practice's monthly search"},
            ],
        ),
        "POST /v1/case-finding/runs": Write(
            "POST",
            "/v1/case-finding/runs",
            lambda: bearer(consultant),
            [{"practice_ods": MILE_END, "specialty": "nephrology"}],
        ),
        "POST /v1/case-finding/findings/{finding_id}/dismiss": Write(
            "POST",
            f"/v1/case-finding/findings/{findings[0]}/dismiss",
            lambda: bearer(consultant),
            [{"reason": "Known to the renal team and reviewed yearly."}],
        ),
        "POST /v1/case-finding/findings/{finding_id}/add-to-clinic": Write(
            "POST",
            f"/v1/case-finding/findings/{findings[1]}/add-to-clinic",
            lambda: bearer(consultant),
            [{"clinic_id": clinic}],
        ),
        "PUT /v1/registrations/{nhs_number}": Write(
            "PUT",
            f"/v1/registrations/{MILE_END_PATIENT}",
            lambda: bearer(admin),
            [{"practice_ods": MILE_END}],
        ),
    }
