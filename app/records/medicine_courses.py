"""A medicine's course over the record's history: when it started and each change of dose.

A GP system records a change of dose as a new prescription (and usually stops the old one), and a repeat
re-authorised as another; so the record holds several requests for one medicine. The rules, stated once:

- requests are the same medicine when they share a coding or their names agree once the strength is taken out
  ("Ramipril 2.5mg capsules" and "Ramipril 10mg capsules" are both ramipril capsules);
- a medicine's requests, oldest first, form one continuous course unless a request was ``stopped`` and the
  next one gives the same dose, or another dose more than ``RESTART_AFTER`` later: that is a restart, and the
  restart begins a new course;
- the course starts on the earliest date of its first request (authoredOn, or when a statement says it began);
- its dose is the strength in its name with its dosage text (or dose quantity): a change in either, between
  one request and the next, is a change of dose on the later request's date.

Undated requests cannot be placed in time: they stand alone as courses of one request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from schemas.clinical import Medication

RESTART_AFTER = timedelta(days=365)
"""A stopped medicine prescribed again at another dose after this long is restarted, not titrated."""

STOPPED_STATUSES = frozenset({"stopped"})

_STRENGTH = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s*(?:mg|g|micrograms?|mcg|nanograms?|ng|ml|units?|iu|%)"
    r"(?:\s*/\s*\d*(?:\.\d+)?\s*(?:ml|dose|hours?|h))?(?!\w)",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class DoseStep:
    """The dose changed on ``on`` from ``previous`` to ``dose`` (either None when the record gives none)."""

    on: date
    previous: str | None
    dose: str | None


@dataclass(frozen=True, slots=True)
class MedicineCourse:
    """One continuous course of a medicine: its requests oldest first; the latest says what it is now."""

    requests: tuple[Medication, ...]

    @property
    def latest(self) -> Medication:
        return self.requests[-1]

    @property
    def start_date(self) -> date | None:
        return self.requests[0].authored_on

    @property
    def dose_changes(self) -> list[DoseStep]:
        changes = []
        for before, after in zip(self.requests, self.requests[1:], strict=False):
            if after.authored_on is not None and _same(dose_of(before), dose_of(after)) is False:
                changes.append(DoseStep(after.authored_on, dose_of(before), dose_of(after)))
        return changes


def strength_of(name: str) -> str | None:
    """The strength a medicine's name gives ("2.5mg", "10 MG"), None when it names none."""
    found = _STRENGTH.findall(name)
    return " + ".join(_SPACES.sub(" ", s.strip()) for s in found) or None


def generic_name(name: str) -> str:
    """A medicine's name without its strength, lower case, single-spaced: the same medicine at any dose."""
    return _SPACES.sub(" ", _STRENGTH.sub(" ", name.lower())).strip()


def dose_of(medication: Medication) -> str | None:
    """The strength and dosage a request gives, as the page shows them; None when it gives neither."""
    parts = [part for part in (strength_of(medication.name), medication.dosage) if part]
    return ", ".join(parts) or None


def medicine_courses(medications: Sequence[Medication]) -> list[MedicineCourse]:
    """Each course of each medicine, in the order the record lists their latest requests."""
    groups: list[list[int]] = []
    group_of: dict[tuple[str, ...], int] = {}
    for index, medication in enumerate(medications):
        keys = _keys(medication)
        found = next((group_of[key] for key in keys if key in group_of), None)
        if found is None or medication.authored_on is None:
            found = len(groups)
            groups.append([])
        groups[found].append(index)
        if medication.authored_on is not None:
            for key in keys:
                group_of.setdefault(key, found)
    courses: list[tuple[int, MedicineCourse]] = []
    for group in groups:
        ordered = sorted(group, key=lambda i: (medications[i].authored_on or date.min, i))
        course: list[int] = []
        for index in ordered:
            if course and _restarted(medications[course[-1]], medications[index]):
                courses.append((course[-1], MedicineCourse(tuple(medications[i] for i in course))))
                course = []
            course.append(index)
        courses.append((course[-1], MedicineCourse(tuple(medications[i] for i in course))))
    return [course for _, course in sorted(courses, key=lambda pair: pair[0])]


def _keys(medication: Medication) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [("code", c.system, c.code) for c in medication.codings if c.code]
    keys.append(("name", generic_name(medication.name)))
    return keys


def _same(one: str | None, other: str | None) -> bool | None:
    """Whether two doses agree, ignoring case and spacing; None when neither request gives one."""
    if one is None and other is None:
        return None
    return (
        one is not None
        and other is not None
        and _SPACES.sub(" ", one.lower()) == _SPACES.sub(" ", other.lower())
    )


def _restarted(before: Medication, after: Medication) -> bool:
    if before.status not in STOPPED_STATUSES:
        return False
    if _same(dose_of(before), dose_of(after)) is not False:
        return True
    if before.authored_on is None or after.authored_on is None:  # undated requests stand alone
        return True
    return after.authored_on - before.authored_on > RESTART_AFTER
