"""The demo practice as data: its resources, files the mock GP can serve, and the patients' stories.

``STORY_BOOKS`` is the one place a specialty's demo stories are registered: a new specialty adds
``adapters/demo/<code>_stories.py`` and one line here. Books are only ever appended, so each patient keeps
their NHS number and their generated record when another specialty's patients join the practice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from adapters.demo.case_finding_stories import CASE_FINDING_STORIES
from adapters.demo.diabetes_stories import DIABETES_STORIES
from adapters.demo.generator import patient_resources, practice_organisation
from adapters.demo.heart_failure_stories import HEART_FAILURE_STORIES
from adapters.demo.lipids_stories import LIPIDS_STORIES
from adapters.demo.stories import STORIES, Story, demo_nhs_numbers

# One book of stories per specialty: a new specialty adds its module and one line here.
STORY_BOOKS: tuple[tuple[Story, ...], ...] = (
    STORIES,
    DIABETES_STORIES,
    HEART_FAILURE_STORIES,
    LIPIDS_STORIES,
    CASE_FINDING_STORIES,
)
ALL_STORIES: tuple[Story, ...] = tuple(story for book in STORY_BOOKS for story in book)


@dataclass(frozen=True, slots=True)
class DemoPatient:
    nhs_number: str
    name: str
    story: str
    specialties: tuple[str, ...] = ("nephrology",)


DEMO_PATIENTS: tuple[DemoPatient, ...] = tuple(
    DemoPatient(number, f"{story.given} {story.family}", story.summary, story.specialties)
    for story, number in zip(ALL_STORIES, demo_nhs_numbers(len(ALL_STORIES)), strict=True)
)
"""Every demo patient with a one-line clinical story, in a fixed order, so the app can list them."""


def demo_registrations(practice_ods: str, today: date | None = None) -> dict[str, str]:
    """Each demo patient's NHS number → the practice they are registered with, for a static directory.

    Registrations do not change with the date; ``today`` is taken so callers can pass the same reference date
    they give ``DemoSource``.
    """
    return {patient.nhs_number: practice_ods for patient in DEMO_PATIENTS}


def demo_practice_resources(today: date) -> list[dict[str, Any]]:
    """Every resource of the demo practice, its records dated back from ``today``."""
    resources = [practice_organisation()]
    for _, patient in patient_resources(ALL_STORIES, today):
        resources.extend(patient)
    return resources


def write_demo_practice(directory: Path, today: date) -> None:
    """One collection Bundle per patient (``<nhs number>.json``) and one for the practice, for the mock GP."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "practice.json").write_bytes(_collection([practice_organisation()]))
    for nhs_number, resources in patient_resources(ALL_STORIES, today):
        (directory / f"{nhs_number}.json").write_bytes(_collection(resources))


def _collection(resources: list[dict[str, Any]]) -> bytes:
    entries = [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    return orjson.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": entries}, option=orjson.OPT_INDENT_2
    )


def demo_patients_of(specialty: str) -> tuple[DemoPatient, ...]:
    """The demo patients whose stories belong to ``specialty``'s demo clinic, in story order."""
    return tuple(patient for patient in DEMO_PATIENTS if specialty in patient.specialties)
