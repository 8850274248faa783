"""What a specialty may add to the generic patient panels: a trend line, point styles, words, template data.

A specialty needs none of it: without extras its page is the generic panels alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.web.chart import Trend
from schemas.api.summary import ResultValue


def _no_class(analyte: str, result: ResultValue) -> str:
    return ""


@dataclass(frozen=True, slots=True)
class SpecialtyExtras:
    """``trends``: analyte → the slope the summary reports; ``point_class``: a CSS class for one result."""

    trends: Mapping[str, Trend | None] = field(default_factory=dict)
    point_class: Callable[[str, ResultValue], str] = _no_class
    chart_notes: Mapping[str, str] = field(default_factory=dict)
    medicine_classes: Mapping[str, str] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
