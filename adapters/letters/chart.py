"""The eGFR chart, drawn with fpdf2's primitives: the letter needs no image library and only core fonts.

The shaded bands are the KDIGO 2012 GFR categories (G3a 45-59, G3b 30-44, G4 15-29, G5 under 15), the
thresholds a GP reads a kidney trend against.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from fpdf import FPDF

from adapters.letters.text import short_date
from schemas.advice import ChartPoint

_BANDS: tuple[tuple[float, float, str, tuple[int, int, int]], ...] = (
    (45.0, 60.0, "G3a", (255, 248, 225)),
    (30.0, 45.0, "G3b", (255, 236, 204)),
    (15.0, 30.0, "G4", (253, 218, 204)),
    (0.0, 15.0, "G5", (248, 196, 196)),
)
_THRESHOLDS = (60.0, 45.0, 30.0, 15.0)
_NHS_BLUE = (0, 94, 184)
_AXIS_GREY = (66, 84, 98)


@dataclass(frozen=True, slots=True)
class ChartBox:
    """Where the plot area sits on the page, in millimetres."""

    left: float
    top: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width


def y_ceiling(points: list[ChartPoint]) -> float:
    """The top of the value axis: at least 90 (G2's upper bound), rounded up to a multiple of 15."""
    highest = max(point.value for point in points)
    return max(90.0, math.ceil((highest + 5.0) / 15.0) * 15.0)


def draw_egfr_chart(pdf: FPDF, points: list[ChartPoint], box: ChartBox) -> None:
    ordered = sorted(points, key=lambda point: point.date)
    ceiling = y_ceiling(ordered)
    _draw_bands(pdf, box, ceiling)
    _draw_axes(pdf, box, ceiling)
    _draw_series(pdf, box, ceiling, ordered)
    _draw_date_labels(pdf, box, ordered)


def _y(box: ChartBox, ceiling: float, value: float) -> float:
    clamped = min(max(value, 0.0), ceiling)
    return box.bottom - clamped / ceiling * box.height


def _x(box: ChartBox, ordered: list[ChartPoint], point: ChartPoint) -> float:
    first, last = ordered[0].date, ordered[-1].date
    span = (last - first).days
    if span == 0:
        return box.left + box.width / 2
    offset = (point.date - first).days
    # A small inset keeps the first and last points off the axis lines.
    return box.left + 4.0 + offset / span * (box.width - 8.0)


def _draw_bands(pdf: FPDF, box: ChartBox, ceiling: float) -> None:
    pdf.set_font("helvetica", size=7)
    for low, high, label, colour in _BANDS:
        top, bottom = _y(box, ceiling, high), _y(box, ceiling, low)
        pdf.set_fill_color(*colour)
        pdf.rect(box.left, top, box.width, bottom - top, style="F")
        pdf.set_text_color(*_AXIS_GREY)
        pdf.text(box.right + 1.5, (top + bottom) / 2 + 1.0, label)
    pdf.set_draw_color(*_AXIS_GREY)
    pdf.set_line_width(0.15)
    pdf.set_dash_pattern(dash=1.0, gap=1.0)
    for threshold in _THRESHOLDS:
        y = _y(box, ceiling, threshold)
        pdf.line(box.left, y, box.right, y)
    pdf.set_dash_pattern()


def _draw_axes(pdf: FPDF, box: ChartBox, ceiling: float) -> None:
    pdf.set_draw_color(*_AXIS_GREY)
    pdf.set_line_width(0.3)
    pdf.line(box.left, box.top, box.left, box.bottom)
    pdf.line(box.left, box.bottom, box.right, box.bottom)
    pdf.set_font("helvetica", size=7)
    pdf.set_text_color(*_AXIS_GREY)
    for tick in sorted({0.0, *_THRESHOLDS, 90.0, ceiling}):
        y = _y(box, ceiling, tick)
        pdf.line(box.left - 1.2, y, box.left, y)
        label = f"{tick:g}"
        pdf.text(box.left - 2.0 - pdf.get_string_width(label), y + 1.0, label)
    pdf.text(box.left, box.top - 2.0, "eGFR (mL/min/1.73m2)")


def _draw_series(pdf: FPDF, box: ChartBox, ceiling: float, ordered: list[ChartPoint]) -> None:
    coordinates = [(_x(box, ordered, p), _y(box, ceiling, p.value)) for p in ordered]
    pdf.set_draw_color(*_NHS_BLUE)
    pdf.set_fill_color(*_NHS_BLUE)
    pdf.set_line_width(0.4)
    for (x1, y1), (x2, y2) in itertools.pairwise(coordinates):
        pdf.line(x1, y1, x2, y2)
    for x, y in coordinates:
        pdf.circle(x, y, 0.9, style="F")


def _draw_date_labels(pdf: FPDF, box: ChartBox, ordered: list[ChartPoint]) -> None:
    pdf.set_font("helvetica", size=7)
    pdf.set_text_color(*_AXIS_GREY)
    first, last = ordered[0], ordered[-1]
    first_label = short_date(first.date)
    pdf.text(box.left, box.bottom + 4.0, first_label)
    if last.date != first.date:
        last_label = short_date(last.date)
        pdf.text(box.right - pdf.get_string_width(last_label), box.bottom + 4.0, last_label)
