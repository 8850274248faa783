"""The completion manifest and the OperationOutcomes a bulk server answers with, read into our own types."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import orjson

from schemas.bulk import BulkFile, BulkFileUnreadable, BulkIssue, BulkManifest


def read_manifest(source: str, status_url: str, body: bytes) -> BulkManifest:
    """The manifest of a completed job; file URLs are made absolute against the status URL."""
    try:
        data = orjson.loads(body)
        transaction_time = datetime.fromisoformat(data["transactionTime"])
        return BulkManifest(
            transaction_time=transaction_time,
            request=str(data.get("request", "")),
            requires_access_token=data.get("requiresAccessToken") is True,
            output=tuple(_file(status_url, item) for item in data.get("output") or ()),
            error=tuple(_file(status_url, item) for item in data.get("error") or ()),
            deleted=tuple(_file(status_url, item) for item in data.get("deleted") or ()),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BulkFileUnreadable(
            source, f"the export manifest is not readable ({type(exc).__name__})"
        ) from None


def _file(status_url: str, item: dict[str, Any]) -> BulkFile:
    count = item.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        raise ValueError("count")
    return BulkFile(str(item["type"]), urljoin(status_url, str(item["url"])), count)


def outcome_issues(resource: dict[str, Any], file_url: str) -> list[BulkIssue]:
    """An error file's OperationOutcome as issues; anything else in the file is one issue saying so."""
    if resource.get("resourceType") != "OperationOutcome":
        return [
            BulkIssue("error", "invalid", f"an error file held a {resource.get('resourceType')}", file_url)
        ]
    return [
        BulkIssue(
            str(issue.get("severity", "error")),
            str(issue.get("code", "unknown")),
            _issue_text(issue),
            file_url,
        )
        for issue in resource.get("issue") or ()
        if isinstance(issue, dict)
    ]


def outcome_text(body: bytes) -> str:
    """What an OperationOutcome body says, for an error message; empty when the body is not one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(data, dict) or data.get("resourceType") != "OperationOutcome":
        return ""
    texts = [_issue_text(issue) for issue in data.get("issue") or () if isinstance(issue, dict)]
    return "; ".join(text for text in texts if text)[:500]


def _issue_text(issue: dict[str, Any]) -> str:
    details = issue.get("details")
    text = details.get("text") if isinstance(details, dict) else None
    return str(issue.get("diagnostics") or text or issue.get("code") or "")
