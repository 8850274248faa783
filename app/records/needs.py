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


@dataclass(frozen=True, slots=True)
class RecordNeeds:
    results: tuple[ResultNeed, ...]
    medication_years: int = 2
    conditions: bool = True
