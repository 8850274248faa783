"""The embedded synthetic practice used by ``make run``: generated, deterministic, served from memory."""

from adapters.demo.generator import DEMO_PRACTICE_ODS
from adapters.demo.practice import (
    DEMO_PATIENTS,
    DemoPatient,
    demo_patients_of,
    demo_practice_resources,
    demo_registrations,
    write_demo_practice,
)
from adapters.demo.source import DemoSource

__all__ = [
    "DEMO_PATIENTS",
    "DEMO_PRACTICE_ODS",
    "DemoPatient",
    "DemoSource",
    "demo_patients_of",
    "demo_practice_resources",
    "demo_registrations",
    "write_demo_practice",
]
