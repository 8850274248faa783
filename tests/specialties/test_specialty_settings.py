"""A specialty's own settings: the eGFR equation, from the file section, the variable or its old name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.specialties.nephrology.plugin import NEPHROLOGY
from app.specialties.nephrology.settings import NephrologySettings
from app.specialties.registry import SPECIALTIES
from app.specialties.service import summarise
from app.specialties.settings import SpecialtySettingsError, load_specialty_settings
from schemas.api.nephrology import EgfrEquation, NephrologySummary
from tests.specialties.nephrology.factories import creatinine, record


def _equation(environ: dict[str, str], sections: dict[str, dict[str, str]] | None = None) -> EgfrEquation:
    settings = load_specialty_settings(SPECIALTIES, environ=environ, sections=sections or {}).of("nephrology")
    assert isinstance(settings, NephrologySettings)
    return settings.egfr_equation


def test_without_configuration_the_equation_is_ckd_epi_2009() -> None:
    assert _equation({}) is EgfrEquation.CKD_EPI_2009


def test_the_old_core_variable_still_chooses_the_equation() -> None:
    assert _equation({"VCLINIC_EGFR_EQUATION": "ckd-epi-2021"}) is EgfrEquation.CKD_EPI_2021


def test_the_practices_file_section_chooses_the_equation() -> None:
    sections = {"nephrology": {"egfr_equation": "ckd-epi-2021"}}
    assert _equation({}, sections) is EgfrEquation.CKD_EPI_2021


def test_the_specialty_variable_wins_over_the_old_name_and_the_file() -> None:
    environ = {"VCLINIC_EGFR_EQUATION": "ckd-epi-2021", "VCLINIC_NEPHROLOGY__EGFR_EQUATION": "ckd-epi-2009"}
    sections = {"nephrology": {"egfr_equation": "ckd-epi-2021"}}
    assert _equation(environ, sections) is EgfrEquation.CKD_EPI_2009


def test_an_unknown_equation_stops_startup_naming_the_variable() -> None:
    with pytest.raises(SpecialtySettingsError, match="VCLINIC_NEPHROLOGY__EGFR_EQUATION"):
        _equation({"VCLINIC_NEPHROLOGY__EGFR_EQUATION": "mdrd"})


def test_a_section_for_a_specialty_not_registered_stops_startup() -> None:
    with pytest.raises(SpecialtySettingsError, match=r"\[specialties\.dermatology\]"):
        load_specialty_settings(SPECIALTIES, environ={}, sections={"dermatology": {"x": "1"}})


def test_the_summary_calculates_egfr_with_the_configured_equation() -> None:
    configured = load_specialty_settings(
        SPECIALTIES, environ={"VCLINIC_NEPHROLOGY__EGFR_EQUATION": "ckd-epi-2021"}, sections={}
    )
    now = datetime(2024, 9, 1, 9, tzinfo=UTC)

    summary = summarise(
        NEPHROLOGY, record(creatinine("2024-07-01", 96.3)), now=now, specialty_settings=configured
    )

    assert isinstance(summary, NephrologySummary)
    assert [point.equation for point in summary.egfr.series] == [EgfrEquation.CKD_EPI_2021]
