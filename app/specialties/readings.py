"""A result as the laboratory reported it: its unit, its canonical figure, how it is shown, and its band.

Guidelines pair a figure in each unit ("above 2000 ng/litre (236 pmol/litre)", NICE NG106 1.2.4), and the pair
is rounded, so converting first can move a result across a limit (236 pmol/L is 1995.9 ng/L). A band therefore
compares a result in its reported unit with the limits the guideline states for that unit. A specialty
declares its reported analytes as data (its ``rules.json``); ``SpecialtyFolder`` builds them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.specialties.base import ThresholdBand
from app.specialties.outcomes import possible_range
from schemas.api.summary import HighlightFlag
from schemas.clinical import ClinicalRecord


@dataclass(frozen=True, slots=True)
class Reading:
    """A result in the unit the rules compare it in, with its comparator (``>1000``) when censored."""

    day: date
    value: float
    unit: str
    comparator: str | None = None


@dataclass(frozen=True, slots=True)
class Limit:
    """Where a band starts: at or above (``>=``) or strictly above (``>``) a figure."""

    comparator: Literal[">=", ">"]
    value: float

    def reached_by(self, value: float) -> bool:
        return value >= self.value if self.comparator == ">=" else value > self.value

    def lowest(self) -> float:
        """The lowest value in the band, as a chart's inclusive lower edge."""
        return self.value if self.comparator == ">=" else math.nextafter(self.value, math.inf)


@dataclass(frozen=True, slots=True)
class Band:
    """A named band of an analyte; ``chart`` and ``flag`` when its chart panel shades it."""

    name: str
    chart: str | None = None
    flag: HighlightFlag | None = None


@dataclass(frozen=True, slots=True)
class ReportedAnalyte:
    """An analyte as rules read it. ``units``: each accepted spelling (lower case) → the unit compared in;
    ``factors``: a unit other than the canonical one → its factor to canonical; ``bands``: lowest first;
    ``limits``: per unit, where each band after the first starts (increasing)."""

    code: str
    title: str
    canonical_unit: str
    units: Mapping[str, str]
    factors: Mapping[str, float]
    bands: tuple[Band, ...] = ()
    limits: Mapping[str, tuple[Limit, ...]] | None = None

    def reading(
        self, day: date, value: float, unit: str | None, comparator: str | None = None
    ) -> Reading | None:
        """The result in its reported unit, or None when it has no known unit (never guessed)."""
        known = self.units.get((unit or "").strip().lower())
        return Reading(day, value, known, comparator) if known else None

    def readings(self, record: ClinicalRecord) -> tuple[Reading, ...]:
        """The record's results, oldest first, each back in its reported unit's number (the record holds the
        canonical figure), so that a guideline's figures for that unit apply."""
        found = (
            self.reading(m.taken_at.date(), m.value, m.provenance.unit, m.comparator)
            for m in record.series(self.code)
        )
        return tuple(self._reported(x) for x in found if x)

    def _reported(self, reading: Reading) -> Reading:
        factor = self.factors.get(reading.unit)
        if factor is None:
            return reading
        return Reading(reading.day, round(reading.value / factor, 6), reading.unit, reading.comparator)

    def in_canonical(self, reading: Reading) -> float:
        return reading.value * self.factors.get(reading.unit, 1.0)

    def shown(self, reading: Reading) -> str:
        """``>236 pmol/L (1995.85 ng/L) on 2025-05-20``: the reported figure, the canonical one beside it."""
        canonical = (
            ""
            if reading.unit == self.canonical_unit
            else f" ({figure(self.in_canonical(reading))} {self.canonical_unit})"
        )
        return f"{reading.comparator or ''}{figure(reading.value)} {reading.unit}{canonical} on {reading.day}"

    def band(self, value: float, unit: str) -> str:
        """The band a value in ``unit`` falls in: one past every limit it reaches."""
        limits = self.limits[unit] if self.limits else ()
        return self.bands[sum(limit.reached_by(value) for limit in limits)].name

    def reading_band(self, reading: Reading) -> str | None:
        """The band, or None when a comparator leaves it open (">1000 ng/L" may be six weeks or two)."""
        low, high = (
            self.band(value, reading.unit) for value in possible_range(reading.value, reading.comparator)
        )
        return low if low == high else None

    def flag(self, band: str | None) -> HighlightFlag | None:
        return next((b.flag for b in self.bands if b.name == band), None)

    def chart(self) -> tuple[ThresholdBand, ...]:
        """The bands a chart shades, in the canonical unit; none unless every band is labelled for it."""
        if not self.limits or not all(b.chart and b.flag for b in self.bands):
            return ()
        edges = [None, *(limit.lowest() for limit in self.limits[self.canonical_unit]), None]
        return tuple(
            ThresholdBand(low, high, b.chart or "", b.flag or "normal")
            for low, high, b in zip(edges[:-1], edges[1:], self.bands, strict=True)
        )


def figure(value: float) -> str:
    """A figure as evidence quotes it: at most two decimals, no trailing zeros."""
    return f"{round(value, 2):g}"
