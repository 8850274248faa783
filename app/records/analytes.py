"""What the records layer knows about an analyte: its codes, its units, and the values it can take.

A specialty declares the analytes it reads as ``AnalyteDefinition``s; the ``AnalyteCatalogue`` built from
every registered specialty at wiring time is what normalisation and query-building consult. Records hold no
specialty's words: an analyte is its code (``"egfr"``, ``"hba1c"``), and everything else is data.

A value whose converted result falls outside its analyte's plausible range is dropped, never rescaled by
guess: a creatinine of 1.2 labelled umol/L is almost certainly a mg/dL value with the wrong label, but
"almost" is not good enough for a number a consultant acts on. An unrecognised unit is dropped the same way,
and so is a missing one unless the analyte says its canonical unit may be assumed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from app.records.value_sets import SYSTEM_SPELLINGS, load_value_set
from schemas.clinical import Coding

# A result without a unit: refused (and counted in a warning), or read in the canonical unit.
UnitlessPolicy = Literal["refuse", "assume-canonical"]


@dataclass(frozen=True, slots=True)
class PlausibleRange:
    """Inclusive bounds in the canonical unit, and the reason for them."""

    low: float
    high: float
    why: str


@dataclass(frozen=True, slots=True)
class UnitConversion:
    """Accepted spellings of one upstream unit and how to reach the canonical unit from it.

    canonical = (value + offset) * scale, then rounded to ``round_to`` decimal places when given, as a
    laboratory reports it (HbA1c % → mmol/mol: offset -2.15, scale 10.929, whole numbers). Spellings are
    matched after ``unit_key``. Every conversion is increasing, so a comparator (``>90``) keeps its direction.
    """

    units: tuple[str, ...]
    scale: float = 1.0
    offset: float = 0.0
    round_to: int | None = None


@dataclass(frozen=True, slots=True)
class AnalyteDefinition:
    """One measured quantity, as data: its value sets, canonical unit, conversions, range and source.

    ``value_sets`` are paths of FHIR ValueSet files (see ``app.records.value_sets``). ``component_of`` names
    the panel whose components carry this analyte (systolic and diastolic of a blood-pressure panel).
    """

    code: str
    title: str
    canonical_unit: str
    conversions: tuple[UnitConversion, ...]
    plausible: PlausibleRange
    value_sets: tuple[str, ...]
    source: str
    component_of: str | None = None
    unitless: UnitlessPolicy = "refuse"


@dataclass(frozen=True, slots=True)
class Conversion:
    """One (analyte, unit) resolved for the hot loop: everything normalisation needs in one object."""

    unit: str
    offset: float
    scale: float
    round_to: int | None
    low: float
    high: float

    def convert(self, value: float) -> float:
        canonical = (value + self.offset) * self.scale
        return canonical if self.round_to is None else round(canonical, self.round_to)

    def plausible(self, canonical_value: float) -> bool:
        return self.low <= canonical_value <= self.high


def unit_key(unit: str) -> str:
    """The spelling-insensitive form of a unit: ``µmol/L``, ``umol/l`` and ``μmol / L`` give the same key."""
    return (
        unit.strip()
        .lower()
        .replace(" ", "")
        .replace("\u00b5", "u")
        .replace("\u03bc", "u")
        .replace("\u00b2", "2")
    )


class AnalyteCatalogue:
    """Analyte code → definition, with the lookups normalisation makes for every coding and unit.

    Built once at wiring time. ``by_coding`` is one dict keyed by ``(system, code)`` with every accepted
    spelling of each system already expanded: one hash lookup per coding on the hot path, no string work.
    """

    def __init__(self, definitions: Iterable[AnalyteDefinition]) -> None:
        declared: dict[str, AnalyteDefinition] = {}
        for definition in definitions:
            if declared.setdefault(definition.code, definition) != definition:
                raise ValueError(f"analyte {definition.code!r} is declared twice, differently")
        self.definitions: Mapping[str, AnalyteDefinition] = declared
        self._codings = {code: self._load(d) for code, d in self.definitions.items()}
        self.by_coding: Mapping[tuple[str, str], str] = self._lookup_table()
        self._conversions = self._conversion_table()

    @staticmethod
    def _load(definition: AnalyteDefinition) -> tuple[Coding, ...]:
        codings = [coding for path in definition.value_sets for coding in load_value_set(path)]
        return tuple(dict.fromkeys(Coding(c.system, c.code) for c in codings))

    def _lookup_table(self) -> dict[tuple[str, str], str]:
        table: dict[tuple[str, str], str] = {}
        for analyte, codings in self._codings.items():
            for coding in codings:
                for system in SYSTEM_SPELLINGS.get(coding.system, (coding.system,)):
                    claimed = table.setdefault((system, coding.code), analyte)
                    if claimed != analyte:
                        raise ValueError(f"{coding.system}|{coding.code} means both {claimed} and {analyte}")
        return table

    def _conversion_table(self) -> dict[tuple[str, str], Conversion]:
        table: dict[tuple[str, str], Conversion] = {}
        for analyte, definition in self.definitions.items():
            bounds = definition.plausible
            for accepted in definition.conversions:
                conversion = Conversion(
                    definition.canonical_unit,
                    accepted.offset,
                    accepted.scale,
                    accepted.round_to,
                    bounds.low,
                    bounds.high,
                )
                for spelling in accepted.units:
                    table[(analyte, unit_key(spelling))] = conversion
        return table

    def __contains__(self, analyte: object) -> bool:
        return analyte in self.definitions

    def definition(self, analyte: str) -> AnalyteDefinition:
        return self.definitions[analyte]

    def codes_for(self, analyte: str) -> tuple[Coding, ...]:
        """The codings that mean ``analyte``, in the canonical system spellings; KeyError if undeclared."""
        return self._codings[analyte]

    def analyte_for(self, system: str, code: str) -> str | None:
        """The analyte a coding means, or None; whitespace around the code is tolerated (GP Connect sends
        it)."""
        analyte = self.by_coding.get((system, code))
        if analyte is None and code != code.strip():
            return self.by_coding.get((system, code.strip()))
        return analyte

    def analyte_of(self, codings: tuple[Coding, ...]) -> tuple[str, Coding] | None:
        """The first of ``codings`` that names an analyte, with that analyte."""
        for coding in codings:
            analyte = self.analyte_for(coding.system, coding.code)
            if analyte is not None:
                return analyte, coding
        return None

    def conversion_for(self, analyte: str, unit: str | None) -> Conversion | None:
        """How to bring ``unit`` to the analyte's canonical unit, or None when it may not be read."""
        if unit is None:
            definition = self.definitions[analyte]
            if definition.unitless == "refuse":
                return None
            return self._conversions.get((analyte, unit_key(definition.canonical_unit)))
        return self._conversions.get((analyte, unit_key(unit)))
