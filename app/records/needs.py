"""What a reader of the record (a specialty's summary) asks of it: which analytes, how far back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ResultNeed:
    """An analyte (its catalogue code) and how many years of its results are read, counted back from today.

    None asks for the whole history, up to the service's cap (``VCLINIC_RECORD_HISTORY_YEARS``): a rule
    anchored to the latest result must see results however long ago that was.
    """

    analyte: str
    years: int | None = None


MEDICINE_HISTORY_YEARS = 5
"""How far back a summary reads medicines: a repeat is authorised once and reissued for years, and a course's
start and changes of dose are only seen with the requests before the latest, so one year is too short."""


@dataclass(frozen=True, slots=True)
class RecordNeeds:
    results: tuple[ResultNeed, ...]
    medication_years: int = 2
    conditions: bool = True
