"""Which results close which action: every analyte group needs a result dated after the advice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.follow_up.results import results_showing_done
from app.specialties.registry import SPECIALTIES
from schemas.clinical import ClinicalRecord, Coding, Measurement, Patient, Provenance, Sex

ADVISED = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
UE_AND_ACR = next(
    action.satisfied_by
    for action in SPECIALTIES["nephrology"].follow_up_actions
    if action.code == "repeat-ue-acr-3-months"
)


def _record(*results: tuple[str, datetime]) -> ClinicalRecord:
    record = ClinicalRecord(Patient("9434765919", None, None, Sex.MALE))
    for index, (analyte, taken_at) in enumerate(results):
        provenance = Provenance(
            "A12345", "fhir-r4", f"obs-{index}", Coding("http://snomed.info/sct", "1"), None
        )
        record.measurements.setdefault(analyte, []).append(
            Measurement(analyte, taken_at, 1.0, "x", provenance)
        )
    return record


def test_an_egfr_and_an_acr_after_the_advice_close_repeat_ue_and_acr() -> None:
    record = _record(("egfr", datetime(2026, 5, 2, tzinfo=UTC)), ("acr", datetime(2026, 5, 3, tzinfo=UTC)))

    evidence = results_showing_done(record, UE_AND_ACR, ADVISED)

    assert evidence is not None
    assert [(item.analyte, item.taken_at.date().isoformat(), item.resource_id) for item in evidence] == [
        ("egfr", "2026-05-02", "obs-0"),
        ("acr", "2026-05-03", "obs-1"),
    ]


def test_a_creatinine_without_an_acr_does_not_close_repeat_ue_and_acr() -> None:
    record = _record(
        ("creatinine", datetime(2026, 5, 2, tzinfo=UTC)), ("acr", datetime(2026, 2, 1, tzinfo=UTC))
    )

    assert results_showing_done(record, UE_AND_ACR, ADVISED) is None


def test_a_date_only_result_on_the_day_of_the_advice_reads_as_before_it() -> None:
    record = _record(
        ("creatinine", datetime(2026, 3, 1, tzinfo=UTC)), ("acr", datetime(2026, 3, 2, tzinfo=UTC))
    )

    assert results_showing_done(record, UE_AND_ACR, ADVISED) is None


def test_the_earliest_result_after_the_advice_is_the_evidence() -> None:
    record = _record(
        ("creatinine", datetime(2026, 6, 1, tzinfo=UTC)),
        ("egfr", datetime(2026, 4, 1, tzinfo=UTC)),
        ("acr", datetime(2026, 4, 1, tzinfo=UTC)),
    )

    evidence = results_showing_done(record, UE_AND_ACR, ADVISED)

    assert evidence is not None
    assert evidence[0].analyte == "egfr"


@pytest.mark.parametrize("specialty", sorted(SPECIALTIES))
def test_every_analyte_an_action_names_is_one_its_specialty_reads(specialty: str) -> None:
    plugin = SPECIALTIES[specialty]
    read = {analyte.code for analyte in plugin.analytes}
    groups = [group for action in plugin.follow_up_actions for group in action.satisfied_by]
    named = {analyte for group in groups for analyte in group}

    assert named <= read
    assert all(groups)


def test_every_specialty_with_test_actions_declares_what_closes_them() -> None:
    tied = {
        code: sorted(action.code for action in plugin.follow_up_actions if action.satisfied_by)
        for code, plugin in SPECIALTIES.items()
    }

    assert "repeat-ue-2-weeks" in tied["nephrology"]
    assert "repeat-hba1c-3-months" in tied["diabetes"]
    assert "check-ue-after-change" in tied["heart-failure"]
    assert "repeat-lipids-3-months" in tied["lipids"]
