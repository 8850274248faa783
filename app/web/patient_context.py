"""What frames the patient view: the GP's question and who asked it, and where the patient is on the list.

The practice's name comes from the practices file. Who asked, and how to reach them, come from the request's
optional ``context``, where a GP system may put ``requester``: a name, or an object with ``name``, ``role``,
``telephone`` and ``email``. Whatever is missing is left out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.clinics.models import ClinicEntry
from app.records.practices import PracticeConfig
from schemas.api.advice import AdviceRequestSummary
from schemas.api.clinics import EntryStatus

# A patient is done once the consultant has advised on them.
DONE = frozenset({EntryStatus.ADVISED.value})
_TEXT_MAX = 200


@dataclass(frozen=True, slots=True)
class Requester:
    name: str | None
    role: str | None
    telephone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class Referral:
    """The GP's question, as the top of the patient view shows it."""

    request: AdviceRequestSummary
    practice_name: str | None
    requester: Requester | None


@dataclass(frozen=True, slots=True)
class Neighbour:
    position: int
    nhs_number: str


@dataclass(frozen=True, slots=True)
class ListProgress:
    """Where the patient is on the clinic's list, and how much of it is done."""

    position: int | None
    reason: str | None
    total: int
    done: int
    previous: Neighbour | None
    next: Neighbour | None


def _text(value: Any) -> str | None:
    return value.strip()[:_TEXT_MAX] if isinstance(value, str) and value.strip() else None


def requester_of(context: Mapping[str, Any] | None) -> Requester | None:
    """Who at the practice asked, from the request's context; None when the practice did not say."""
    given = (context or {}).get("requester")
    if isinstance(given, str):
        given = {"name": given}
    if not isinstance(given, Mapping):
        return None
    requester = Requester(
        _text(given.get("name")),
        _text(given.get("role")),
        _text(given.get("telephone")),
        _text(given.get("email")),
    )
    return requester if any((requester.name, requester.telephone, requester.email)) else None


def referral_of(
    request: AdviceRequestSummary, context: Mapping[str, Any] | None, practices: Mapping[str, PracticeConfig]
) -> Referral:
    practice = practices.get(request.practice_ods)
    return Referral(request, practice.name if practice else None, requester_of(context))


def list_progress(entries: Sequence[ClinicEntry], nhs_number: str) -> ListProgress:
    """The patient's place among the list's entries (in list order), with the patients either side."""
    numbers = [entry.nhs_number for entry in entries]
    index = numbers.index(nhs_number) if nhs_number in numbers else None

    def neighbour(at: int) -> Neighbour | None:
        if index is None or not 0 <= at < len(entries):
            return None
        return Neighbour(at + 1, entries[at].nhs_number)

    return ListProgress(
        position=None if index is None else index + 1,
        reason=None if index is None else entries[index].reason,
        total=len(entries),
        done=sum(1 for entry in entries if entry.status in DONE),
        previous=None if index is None else neighbour(index - 1),
        next=None if index is None else neighbour(index + 1),
    )
