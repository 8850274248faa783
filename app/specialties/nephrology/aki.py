"""AKI warning stages from creatinine: the NHS England algorithm (Patient Safety Alert NHS/PSA/D/2014/010).

For each creatinine C1: RV1 = lowest result 0-7 days before it; RV2 = median of results 8-365 days before it.
Ratio = C1 / RV, the higher when both exist. Stage 3: ratio ≥ 3, or ratio ≥ 1.5 with C1 > 354 µmol/L; stage 2:
ratio ≥ 2; stage 1: ratio ≥ 1.5; otherwise stage 1 when a result in the 48 hours before is more than
26 µmol/L below C1. No result in the previous 365 days: no alert.

Days are whole UTC calendar days between samples, so "0-7" and "8-365" partition the year with no gap and
stay in time order whatever offset a sample carries; the 48-hour test uses sample times. This is the adult
algorithm (the paediatric variant needs age-specific reference ranges the GP record does not carry). A
creatinine reported with a comparator has no value to take a ratio of and is left out.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.specialties.nephrology.dates import epoch_seconds
from schemas.clinical import Measurement

RV1_DAYS = 7
LOOKBACK_DAYS = 365
EPISODE_GAP_DAYS = 7
STAGE_3_CREATININE = 354.0
RISE_IN_48_HOURS = 26.0
SECONDS_PER_DAY = 86400.0
_48_HOURS_IN_SECONDS = 48 * 3600.0


@dataclass(frozen=True, slots=True)
class AkiAlert:
    """One creatinine that raises an AKI warning stage, and the reference value it was compared with."""

    day: date
    stage: int
    creatinine: float
    baseline: float


@dataclass(frozen=True, slots=True)
class AkiEpisode:
    """Alerts within 7 days of the one before: first date, highest stage, peak creatinine, first baseline."""

    day: date
    stage: int
    creatinine: float
    baseline: float


def aki_stage(creatinine: float, ratio: float) -> int:
    """The stage a ratio gives (0: none), with the stage-3 rule for C1 above 354 µmol/L."""
    if ratio >= 3.0 or (ratio >= 1.5 and creatinine > STAGE_3_CREATININE):
        return 3
    if ratio >= 2.0:
        return 2
    if ratio >= 1.5:
        return 1
    return 0


@dataclass(frozen=True, slots=True)
class _Creatinine:
    """The exact creatinine results in time order, as parallel columns for bisection."""

    days: list[date]
    utc_days: list[int]
    seconds: list[float]
    values: list[float]

    @classmethod
    def of(cls, creatinine: Sequence[Measurement]) -> _Creatinine:
        exact = sorted(
            (m for m in creatinine if m.comparator is None), key=lambda m: epoch_seconds(m.taken_at)
        )
        seconds = [epoch_seconds(m.taken_at) for m in exact]
        return cls(
            [m.taken_at.date() for m in exact],
            [int(moment // SECONDS_PER_DAY) for moment in seconds],
            seconds,
            [m.value for m in exact],
        )


def aki_alerts(creatinine: Sequence[Measurement]) -> list[AkiAlert]:
    """Every creatinine that raises an AKI warning, oldest first."""
    series = _Creatinine.of(creatinine)
    alerts = []
    for index, value in enumerate(series.values):
        alert = _alert(series, index, value)
        if alert is not None:
            alerts.append(alert)
    return alerts


def _alert(series: _Creatinine, index: int, value: float) -> AkiAlert | None:
    utc_day, moment = series.utc_days[index], series.seconds[index]
    # Only results taken strictly before C1 count; one taken at the same moment is not "before" it.
    end = bisect_left(series.seconds, moment, hi=index)
    start = bisect_left(series.utc_days, utc_day - LOOKBACK_DAYS, hi=end)
    if start == end:
        return None
    split = max(start, bisect_left(series.utc_days, utc_day - RV1_DAYS, lo=start, hi=end))
    references = [min(series.values[split:end])] if split < end else []
    if start < split:
        references.append(statistics.median(series.values[start:split]))
    baseline = min(references)
    stage = aki_stage(value, value / baseline)
    if stage:
        return AkiAlert(series.days[index], stage, value, baseline)
    recent = bisect_left(series.seconds, moment - _48_HOURS_IN_SECONDS, lo=start, hi=end)
    if recent < end and value - min(series.values[recent:end]) > RISE_IN_48_HOURS:
        return AkiAlert(series.days[index], 1, value, min(series.values[recent:end]))
    return None


def aki_episodes(alerts: Sequence[AkiAlert]) -> list[AkiEpisode]:
    """Alerts grouped into episodes: an alert within 7 days of the previous alert continues its episode."""
    episodes: list[AkiEpisode] = []
    previous: date | None = None
    for alert in alerts:
        if previous is not None and (alert.day - previous).days <= EPISODE_GAP_DAYS:
            first = episodes[-1]
            episodes[-1] = AkiEpisode(
                first.day,
                max(first.stage, alert.stage),
                max(first.creatinine, alert.creatinine),
                first.baseline,
            )
        else:
            episodes.append(AkiEpisode(alert.day, alert.stage, alert.creatinine, alert.baseline))
        previous = alert.day
    return episodes
