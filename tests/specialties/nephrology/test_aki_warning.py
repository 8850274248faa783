"""The NHS England AKI warning algorithm (2014) and the grouping of its alerts into episodes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.specialties.nephrology.aki import AkiAlert, AkiEpisode, aki_alerts, aki_episodes
from schemas.clinical import Measurement
from tests.specialties.nephrology.factories import creatinine, day


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _last_alert(*results: Measurement) -> AkiAlert | None:
    alerts = aki_alerts(list(results))
    return alerts[-1] if alerts and alerts[-1].day == results[-1].taken_at.date() else None


def _baseline_year() -> list[Measurement]:
    """Three results 8-365 days before 2024-06-01, median 100."""
    return [creatinine("2023-09-01", 90), creatinine("2023-12-01", 100), creatinine("2024-03-01", 110)]


@pytest.mark.parametrize(
    ("value", "stage"),
    [(149.0, None), (150.0, 1), (199.0, 1), (200.0, 2), (299.0, 2), (300.0, 3)],
)
def test_the_ratio_to_the_median_of_the_last_year_sets_the_stage(value: float, stage: int | None) -> None:
    alert = _last_alert(*_baseline_year(), creatinine("2024-06-01", value))
    assert (alert.stage if alert else None) == stage


def test_a_ratio_of_1_5_with_creatinine_above_354_is_stage_3() -> None:
    results = [creatinine("2024-01-01", 236), creatinine("2024-06-01", 355)]
    alert = _last_alert(*results)
    assert alert is not None
    assert alert.stage == 3


def test_a_ratio_of_1_5_with_creatinine_of_354_is_stage_1() -> None:
    alert = _last_alert(creatinine("2024-01-01", 236), creatinine("2024-06-01", 354))
    assert alert is not None
    assert alert.stage == 1


def test_the_lowest_result_of_the_last_7_days_is_a_reference_value() -> None:
    results = [creatinine("2024-05-25", 80), creatinine("2024-05-28", 120), creatinine("2024-06-01", 165)]
    alert = _last_alert(*results)
    assert alert == AkiAlert(day("2024-06-01"), 2, 165, 80)


def test_the_higher_of_the_two_ratios_counts() -> None:
    # RV2 (median of the year) is 100, RV1 (lowest of the week) is 140: 210/100 beats 210/140.
    results = [*_baseline_year(), creatinine("2024-05-30", 140), creatinine("2024-06-01", 210)]
    alert = _last_alert(*results)
    assert alert == AkiAlert(day("2024-06-01"), 2, 210, 100)


def test_a_rise_of_more_than_26_within_48_hours_is_stage_1() -> None:
    results = [creatinine(_at("2024-05-30T10:00"), 100), creatinine(_at("2024-06-01T10:00"), 127)]
    alert = _last_alert(*results)
    assert alert == AkiAlert(day("2024-06-01"), 1, 127, 100)


def test_a_rise_of_exactly_26_within_48_hours_is_no_alert() -> None:
    results = [creatinine(_at("2024-05-30T10:00"), 100), creatinine(_at("2024-06-01T10:00"), 126)]
    assert _last_alert(*results) is None


def test_a_rise_of_27_over_49_hours_is_no_alert() -> None:
    results = [creatinine(_at("2024-05-30T09:00"), 100), creatinine(_at("2024-06-01T10:00"), 127)]
    assert _last_alert(*results) is None


def test_a_first_creatinine_has_no_baseline_and_no_alert() -> None:
    assert aki_alerts([creatinine("2024-06-01", 400)]) == []


def test_no_result_in_the_previous_365_days_means_no_alert() -> None:
    assert aki_alerts([creatinine("2023-05-31", 80), creatinine("2024-06-01", 400)]) == []


def test_a_result_365_days_before_is_a_baseline() -> None:
    alerts = aki_alerts([creatinine("2023-06-02", 80), creatinine("2024-06-01", 400)])
    assert alerts == [AkiAlert(day("2024-06-01"), 3, 400, 80)]


def test_a_censored_creatinine_takes_no_part() -> None:
    assert aki_alerts([creatinine("2024-05-01", 20, "<"), creatinine("2024-06-01", 80)]) == []


def test_alerts_within_7_days_of_the_previous_form_one_episode() -> None:
    alerts = [
        AkiAlert(day("2024-06-01"), 1, 160, 100),
        AkiAlert(day("2024-06-05"), 3, 320, 150),
        AkiAlert(day("2024-06-12"), 2, 250, 170),
    ]
    assert aki_episodes(alerts) == [AkiEpisode(day("2024-06-01"), 3, 320, 100)]


def test_an_alert_8_days_after_the_previous_starts_a_new_episode() -> None:
    alerts = [AkiAlert(day("2024-06-01"), 2, 210, 100), AkiAlert(day("2024-06-09"), 1, 160, 105)]
    assert aki_episodes(alerts) == [
        AkiEpisode(day("2024-06-01"), 2, 210, 100),
        AkiEpisode(day("2024-06-09"), 1, 160, 105),
    ]


def test_an_admission_with_rising_creatinine_is_one_episode() -> None:
    results = [
        *_baseline_year(),
        creatinine("2024-06-01", 160),
        creatinine("2024-06-02", 230),
        creatinine("2024-06-04", 310),
        creatinine("2024-06-20", 105),
    ]
    assert aki_episodes(aki_alerts(results)) == [AkiEpisode(day("2024-06-01"), 3, 310, 100)]
