"""What GP Connect says besides the record: error responses, list warnings, unsupported parameters.

Errors carry a Spine error code in ``OperationOutcome.issue.details`` (GP Connect "Error handling guidance").
Their free text (``diagnostics``) may quote the NHS number, so it never reaches an error or a warning here.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from adapters.errors import PatientNotFound, UpstreamBadResponse
from adapters.gp_connect.request import AREA_PARTS
from adapters.gp_connect.stu3 import codings
from schemas.clinical import SourceFailure

LIST_WARNING_EXTENSION = (
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1"
)

# The associated texts of GP Connect's warning codes ("Using lists to return data: warning codes"), without
# the date placeholder the practice fills in.
WARNING_TEXTS = {
    "confidential-items": "items excluded due to confidentiality and/or patient preferences",
    "data-in-transit": "patient record transfer from the previous GP practice not yet complete; "
    "earlier information may be missing",
    "data-awaiting-filing": "some items in the practice workflow have not been reviewed for inclusion; "
    "information may be missing",
}


def spine_codes(outcome: Any) -> list[str]:
    """The Spine error or warning codes of an OperationOutcome, in issue order."""
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return []
    issues = [issue for issue in outcome.get("issue") or () if isinstance(issue, dict)]
    return [coding.code for issue in issues for coding in codings(issue.get("details"))]


def raise_for_error(source: str, response: httpx.Response) -> None:
    """The project's error for a GP Connect error response; nothing for a success."""
    if response.status_code < 400:
        return
    try:
        codes = spine_codes(orjson.loads(response.content))
    except orjson.JSONDecodeError:
        codes = []
    if response.status_code == 404 or "PATIENT_NOT_FOUND" in codes:
        # Also what GP Connect answers for a patient registered elsewhere, deceased or sensitive.
        raise PatientNotFound(source, f"HTTP {response.status_code}: patient not found at the practice")
    if "INVALID_NHS_NUMBER" in codes:
        detail = f"HTTP {response.status_code}: the practice rejected the NHS number"
        raise UpstreamBadResponse(source, detail)
    code = codes[0] if codes else "no Spine error code"
    raise UpstreamBadResponse(source, f"HTTP {response.status_code}: {code}")


def list_warnings(lists: list[dict[str, Any]]) -> list[str]:
    """One readable warning per warning code, naming the lists (clinical areas) it was raised on."""
    titles_by_code: dict[str, list[str]] = {}
    for resource in lists:
        title = resource.get("title")
        for code in _warning_codes(resource):
            titles = titles_by_code.setdefault(code, [])
            if isinstance(title, str) and title not in titles:
                titles.append(title)
    return [_list_warning(code, titles) for code, titles in titles_by_code.items()]


def _list_warning(code: str, titles: list[str]) -> str:
    text = f"GP Connect: {WARNING_TEXTS.get(code, f'warning {code!r}')}"
    return f"{text} ({', '.join(titles)})" if titles else text


def _warning_codes(resource: dict[str, Any]) -> list[str]:
    codes = []
    for extension in resource.get("extension") or ():
        if not isinstance(extension, dict) or extension.get("url") != LIST_WARNING_EXTENSION:
            continue
        code = extension.get("valueCode")
        if isinstance(code, str):
            codes.append(code)
        else:
            codes.extend(coding.code for coding in codings({"coding": [extension.get("valueCoding")]}))
    return codes


def unsupported_areas(
    outcomes: list[dict[str, Any]], requested: list[str]
) -> tuple[list[SourceFailure], list[str]]:
    """Failures for requested areas the practice system does not support, and warnings for other issues.

    A provider on an older GP Connect version ignores parameters it does not know and says so in an
    OperationOutcome inside the bundle; the record then lacks that area and must not look complete.
    """
    failures: list[SourceFailure] = []
    warnings: list[str] = []
    for outcome in outcomes:
        for issue in outcome.get("issue") or ():
            if not isinstance(issue, dict):
                continue
            text = " ".join(_issue_texts(issue))
            named = [area for area in requested if area in text]
            for area in named:
                failures.append(SourceFailure(AREA_PARTS[area], "not supported by the practice system"))
            if not named:
                warnings.append(_issue_warning(issue))
    return failures, warnings


def _issue_warning(issue: dict[str, Any]) -> str:
    code = next((coding.code for coding in codings(issue.get("details"))), issue.get("code"))
    if code in WARNING_TEXTS:
        return f"GP Connect: {WARNING_TEXTS[code]}"
    return f"GP Connect: the practice system reported {code} for part of the request"


def _issue_texts(issue: dict[str, Any]) -> list[str]:
    details = issue.get("details")
    candidates = (
        issue.get("diagnostics"),
        details.get("text") if isinstance(details, dict) else None,
        issue.get("text"),
    )
    return [text for text in candidates if isinstance(text, str)]
