"""The code tables of CLINICAL.md ("Units and codes"), checked against the document, not the code."""

from __future__ import annotations

import pytest

from app.records.codes import (
    ANALYTE_BY_CODE,
    BLOOD_PRESSURE_PANEL_CODES,
    DIASTOLIC_CODES,
    SYSTOLIC_CODES,
    analyte_for,
    analyte_of,
    codes_for,
)
from schemas.clinical import LOINC, SNOMED, Analyte, Coding

CLINICAL_MD_SNOMED = {
    Analyte.EGFR: ["1011481000000105", "857971000000104", "1020291000000106", "1107411000000104", "80274001"],
    Analyte.CREATININE: ["1000731000000107", "1001011000000107"],
    Analyte.ACR: ["1023491000000104", "1027791000000103"],
    Analyte.POTASSIUM: ["1000651000000109"],
    Analyte.HAEMOGLOBIN: ["1022431000000105"],
    Analyte.HBA1C: ["999791000000106"],
    Analyte.SYSTOLIC_BP: ["72313002", "271649006"],
    Analyte.DIASTOLIC_BP: ["271650006", "1091811000000102"],
}
CLINICAL_MD_LOINC = {
    Analyte.EGFR: ["33914-3", "48642-3", "48643-1", "50044-7", "62238-1", "69405-9", "77147-7", "98979-8"],
    Analyte.CREATININE: ["2160-0", "14682-9", "38483-4"],
    Analyte.ACR: ["9318-7", "14959-1", "32294-1"],
    Analyte.POTASSIUM: ["2823-3", "6298-4"],
    Analyte.HAEMOGLOBIN: ["718-7"],
    Analyte.HBA1C: ["4548-4", "59261-8"],
    Analyte.SYSTOLIC_BP: ["8480-6"],
    Analyte.DIASTOLIC_BP: ["8462-4"],
    Analyte.BLOOD_PRESSURE_PANEL: ["55284-4", "85354-9"],
}
SNOMED_CASES = [(analyte, code) for analyte, codes in CLINICAL_MD_SNOMED.items() for code in codes]
LOINC_CASES = [(analyte, code) for analyte, codes in CLINICAL_MD_LOINC.items() for code in codes]


@pytest.mark.parametrize(("analyte", "code"), SNOMED_CASES)
def test_each_snomed_code_of_clinical_md_is_recognised(analyte: Analyte, code: str) -> None:
    assert analyte_for(SNOMED, code) is analyte


@pytest.mark.parametrize(("analyte", "code"), LOINC_CASES)
def test_each_loinc_code_of_clinical_md_is_recognised(analyte: Analyte, code: str) -> None:
    assert analyte_for(LOINC, code) is analyte


@pytest.mark.parametrize(("analyte", "code"), SNOMED_CASES + LOINC_CASES)
def test_codes_for_lists_every_code_of_the_analyte(analyte: Analyte, code: str) -> None:
    assert code in {coding.code for coding in codes_for(analyte)}


def test_codes_for_gives_both_snomed_and_loinc_in_canonical_spellings() -> None:
    systems = {coding.system for coding in codes_for(Analyte.CREATININE)}

    assert systems == {SNOMED, LOINC}


@pytest.mark.parametrize(
    "system", ["http://snomed.info/sct", "https://snomed.info/sct", "urn:oid:2.16.840.1.113883.6.96"]
)
def test_snomed_is_recognised_in_its_common_spellings(system: str) -> None:
    assert analyte_for(system, "1000731000000107") is Analyte.CREATININE


@pytest.mark.parametrize("system", ["http://loinc.org", "https://loinc.org", "urn:oid:2.16.840.1.113883.6.1"])
def test_loinc_is_recognised_in_its_common_spellings(system: str) -> None:
    assert analyte_for(system, "38483-4") is Analyte.CREATININE


def test_a_code_is_recognised_only_in_its_own_system() -> None:
    assert analyte_for(SNOMED, "38483-4") is None
    assert analyte_for(LOINC, "1000731000000107") is None


def test_a_code_with_stray_whitespace_is_still_recognised() -> None:
    assert analyte_for(SNOMED, " 1000731000000107 ") is Analyte.CREATININE


def test_an_unknown_or_local_code_means_no_analyte() -> None:
    assert analyte_for(SNOMED, "1022541000000102") is None
    assert analyte_for("http://read.info/readv2", "44J3.") is None


def test_the_blood_pressure_panels_include_the_loinc_panels_and_gp_connect_headers() -> None:
    panel_codes = {(coding.system, coding.code) for coding in BLOOD_PRESSURE_PANEL_CODES}

    assert {
        (LOINC, "55284-4"),
        (LOINC, "85354-9"),
        (SNOMED, "75367002"),
        (SNOMED, "163020007"),
    } == panel_codes
    assert all(ANALYTE_BY_CODE[key] is Analyte.BLOOD_PRESSURE_PANEL for key in panel_codes)


def test_the_component_codes_are_the_systolic_and_diastolic_codes() -> None:
    assert {coding.code for coding in SYSTOLIC_CODES} == {"72313002", "271649006", "8480-6"}
    assert {coding.code for coding in DIASTOLIC_CODES} == {"271650006", "1091811000000102", "8462-4"}


def test_analyte_of_takes_the_first_coding_that_names_an_analyte() -> None:
    local = Coding("https://emis.example/local", "EMISCRE1")
    loinc = Coding(LOINC, "2160-0")

    assert analyte_of((local, loinc)) == (Analyte.CREATININE, loinc)
    assert analyte_of((local,)) is None
