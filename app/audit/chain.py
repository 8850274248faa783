"""The audit log's hashes: an event's HMAC over its fields, a batch's over its events and the batch before.

HMAC-SHA256 under ``VCLINIC_AUDIT_KEY`` rather than a bare hash, so someone who can write to the database
but does not hold the key cannot rewrite an event, a batch or the head after editing it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime

import orjson

from app.audit.models import AuditBatch, AuditEvent

GENESIS_HASH = "0" * 64

_CHAINED_FIELDS = (
    "occurred_at",
    "actor",
    "role",
    "organisation",
    "specialty",
    "nhs_number",
    "purpose",
    "action",
    "outcome",
    "status",
    "request_id",
    "break_glass_reason",
    "previous_hash",
)
# Fields added after events were first written: hashed only when set, so the events written before they
# existed still verify, while setting, changing or clearing one on a later event breaks that event's hash.
_CHAINED_WHEN_SET = ("access_basis", "access_reason")


def _canonical_time(value: datetime) -> str:
    # SQLite hands datetimes back naive; every stored time is UTC, so normalise before hashing.
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(event: AuditEvent, key: bytes) -> str:
    fields = {name: getattr(event, name) for name in _CHAINED_FIELDS}
    fields.update(
        {name: getattr(event, name) for name in _CHAINED_WHEN_SET if getattr(event, name) is not None}
    )
    fields["occurred_at"] = _canonical_time(event.occurred_at)
    message = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_signature(length: int, last_hash: str, key: bytes) -> str:
    return hmac.new(key, f"{length}:{last_hash}".encode(), hashlib.sha256).hexdigest()


def events_digest(events: Iterable[tuple[int, str]]) -> str:
    """The sequential hash of a batch's events, each by its id and HMAC, in id order.

    The ids are in it so that swapping two events' ids (a reordering) changes the digest, as their HMACs
    cover their fields but not their place.
    """
    digest = hashlib.sha256()
    for event_id, event_hmac in events:
        digest.update(f"{event_id}:{event_hmac}\n".encode())
    return digest.hexdigest()


def batch_hash(batch: AuditBatch, key: bytes) -> str:
    fields = {
        "first_event_id": batch.first_event_id,
        "last_event_id": batch.last_event_id,
        "event_count": batch.event_count,
        "events_hash": batch.events_hash,
        "previous_hash": batch.previous_hash,
        "sealed_at": _canonical_time(batch.sealed_at),
    }
    return hmac.new(key, orjson.dumps(fields, option=orjson.OPT_SORT_KEYS), hashlib.sha256).hexdigest()
