"""The patient view's generic panels, fed by the envelope every specialty's summary shares.

Warnings; key figures (the specialty's highlights); a series chart for each analyte the summary charts, with
the specialty's threshold bands (an analyte's components, such as systolic and diastolic, share one chart);
criteria with their evidence; medicines with start dates and dose changes; conditions; and the other latest
results. Nothing here names a specialty: what is unique to one comes from its optional extras
(``app.web.specialty_extras``) and its own template, ``templates/specialties/<code>.html``, when present.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.records.analytes import AnalyteDefinition
from app.specialties.base import Specialty
from app.specialties.base import ThresholdBand as SpecialtyBand
from app.web.chart import ChartValue, Series, SeriesChart, ThresholdBand, series_chart
from app.web.nephrology_view import nephrology_extras
from app.web.specialty_extras import SpecialtyExtras
from app.web.templating import TEMPLATES_DIR, unit_for_people
from schemas.api.summary import (
    ConditionEntry,
    CriterionResult,
    Highlight,
    MedicationPublic,
    ResultValue,
    SpecialtySummary,
)

# What a specialty adds to the generic panels, by code; a specialty without an entry gets the panels alone.
EXTRAS: dict[str, Callable[[SpecialtySummary], SpecialtyExtras]] = {"nephrology": nephrology_extras}
# The line styles of a chart's first and second series, so two components read apart without colour.
SERIES_STYLES = ("series-main", "series-second")


@dataclass(frozen=True, slots=True)
class OtherResult:
    title: str
    result: ResultValue


@dataclass(frozen=True, slots=True)
class SummaryView:
    summary: SpecialtySummary
    key_figures: Sequence[Highlight]
    charts: list[SeriesChart]
    chart_notes: Mapping[str, str]
    criteria: Sequence[CriterionResult]
    medicines: Sequence[MedicationPublic]
    medicine_classes: Mapping[str, str]
    conditions: Sequence[ConditionEntry]
    other_results: list[OtherResult]
    specialty_template: str | None
    extras: Mapping[str, Any]


def specialty_template(code: str) -> str | None:
    """The specialty's own panel template, by naming convention, when it has one."""
    name = f"specialties/{code}.html"
    return name if (TEMPLATES_DIR / name).is_file() else None


def band_of(band: SpecialtyBand) -> ThresholdBand:
    return ThresholdBand(band.low, band.high, band.label, f"band-{band.flag}")


def _text(result: ResultValue) -> str:
    return f"{result.comparator or ''}{round(result.value, 1):g}"


def _chart(
    key: str,
    title: str,
    members: list[tuple[AnalyteDefinition | None, str, list[ResultValue]]],
    specialty: Specialty,
    extras: SpecialtyExtras,
) -> SeriesChart | None:
    unit = unit_for_people(members[0][2][0].unit)
    bands = specialty.thresholds.get(key) or specialty.thresholds.get(members[0][1], ())
    lines = [
        Series(
            definition.title if definition else code,
            SERIES_STYLES[index % len(SERIES_STYLES)],
            [ChartValue(r.date, r.value, _text(r), extras.point_class(code, r)) for r in values],
            connected=code not in extras.trends,
        )
        for index, (definition, code, values) in enumerate(members)
    ]
    trends = [(line, extras.trends.get(code)) for line, (_, code, _) in zip(lines, members, strict=True)]
    trend = next(((line, found) for line, found in trends if found is not None), None)
    return series_chart(key, title, unit, lines, [band_of(b) for b in bands], trend)


def charts_of(summary: SpecialtySummary, specialty: Specialty, extras: SpecialtyExtras) -> list[SeriesChart]:
    """One chart per analyte with results, in the summary's order; components of one panel share a chart."""
    definitions = {definition.code: definition for definition in specialty.analytes}
    groups: dict[str, list[tuple[AnalyteDefinition | None, str, list[ResultValue]]]] = {}
    for code, values in summary.series.items():
        if not values:
            continue
        definition = definitions.get(code)
        group = definition.component_of if definition and definition.component_of else code
        groups.setdefault(group, []).append((definition, code, values))
    charts = []
    for key, members in groups.items():
        panel = definitions.get(key)
        title = panel.title if panel else (members[0][0].title if members[0][0] else key)
        chart = _chart(key, title, members, specialty, extras)
        if chart is not None:
            charts.append(chart)
    return charts


def other_results(summary: SpecialtySummary, specialty: Specialty) -> list[OtherResult]:
    """The latest result of each analyte the summary reads but does not chart."""
    titles = {definition.code: definition.title for definition in specialty.analytes}
    charted = {code for code, values in summary.series.items() if values}
    return [
        OtherResult(titles.get(code, code), result)
        for code, result in summary.latest.items()
        if result is not None and code not in charted
    ]


def extras_for(summary: SpecialtySummary) -> SpecialtyExtras:
    extras_of = EXTRAS.get(summary.specialty)
    return SpecialtyExtras() if extras_of is None else extras_of(summary)


def summary_view(summary: SpecialtySummary, specialty: Specialty) -> SummaryView:
    extras = extras_for(summary)
    return SummaryView(
        summary=summary,
        key_figures=specialty.highlights(summary),
        charts=charts_of(summary, specialty, extras),
        chart_notes=extras.chart_notes,
        criteria=summary.referral_criteria,
        medicines=summary.medications,
        medicine_classes=extras.medicine_classes,
        conditions=summary.conditions,
        other_results=other_results(summary, specialty),
        specialty_template=specialty_template(specialty.code),
        extras=extras.context,
    )
