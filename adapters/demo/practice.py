"""The demo practice as data: its resources, files the mock GP can serve, and the patients' stories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from adapters.demo.generator import patient_resources, practice_organisation
from adapters.demo.stories import STORIES, demo_nhs_numbers


@dataclass(frozen=True, slots=True)
class DemoPatient:
    nhs_number: str
    name: str
    story: str


DEMO_PATIENTS: tuple[DemoPatient, ...] = tuple(
    DemoPatient(number, f"{story.given} {story.family}", story.summary)
    for story, number in zip(STORIES, demo_nhs_numbers(len(STORIES)), strict=True)
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
    for _, patient in patient_resources(today):
        resources.extend(patient)
    return resources


def write_demo_practice(directory: Path, today: date) -> None:
    """One collection Bundle per patient (``<nhs number>.json``) and one for the practice, for the mock GP."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "practice.json").write_bytes(_collection([practice_organisation()]))
    for nhs_number, resources in patient_resources(today):
        (directory / f"{nhs_number}.json").write_bytes(_collection(resources))


def _collection(resources: list[dict[str, Any]]) -> bytes:
    entries = [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    return orjson.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": entries}, option=orjson.OPT_INDENT_2
    )
