"""The code tables of CLINICAL.md ("Units and codes"), checked against the document, not the value sets."""

from __future__ import annotations

import pytest

from schemas.clinical import LOINC, SNOMED, Coding
from tests.support.catalogue import CATALOGUE

analyte_for = CATALOGUE.analyte_for
analyte_of = CATALOGUE.analyte_of
codes_for = CATALOGUE.codes_for

CLINICAL_MD_SNOMED = {
    "egfr": ["1011481000000105", "857971000000104", "1020291000000106", "1107411000000104", "80274001"],
    "creatinine": ["1000731000000107", "1001011000000107"],
    "acr": ["1023491000000104", "1027791000000103"],
    "potassium": ["1000651000000109"],
    "haemoglobin": ["1022431000000105"],
    "hba1c": ["999791000000106"],
    "systolic-bp": ["72313002", "271649006"],
    "diastolic-bp": ["271650006", "1091811000000102"],
}
CLINICAL_MD_LOINC = {
    "egfr": ["33914-3", "48642-3", "48643-1", "50044-7", "62238-1", "69405-9", "77147-7", "98979-8"],
    "creatinine": ["2160-0", "14682-9", "38483-4"],
    "acr": ["9318-7", "14959-1", "32294-1"],
    "potassium": ["2823-3", "6298-4"],
    "haemoglobin": ["718-7"],
    "hba1c": ["4548-4", "59261-8"],
    "systolic-bp": ["8480-6"],
    "diastolic-bp": ["8462-4"],
    "blood-pressure-panel": ["55284-4", "85354-9"],
}
SNOMED_CASES = [(analyte, code) for analyte, codes in CLINICAL_MD_SNOMED.items() for code in codes]
LOINC_CASES = [(analyte, code) for analyte, codes in CLINICAL_MD_LOINC.items() for code in codes]


@pytest.mark.parametrize(("analyte", "code"), SNOMED_CASES)
def test_each_snomed_code_of_clinical_md_is_recognised(analyte: str, code: str) -> None:
    assert analyte_for(SNOMED, code) == analyte


@pytest.mark.parametrize(("analyte", "code"), LOINC_CASES)
def test_each_loinc_code_of_clinical_md_is_recognised(analyte: str, code: str) -> None:
    assert analyte_for(LOINC, code) == analyte


@pytest.mark.parametrize(("analyte", "code"), SNOMED_CASES + LOINC_CASES)
def test_codes_for_lists_every_code_of_the_analyte(analyte: str, code: str) -> None:
    assert code in {coding.code for coding in codes_for(analyte)}


def test_codes_for_gives_both_snomed_and_loinc_in_canonical_spellings() -> None:
    systems = {coding.system for coding in codes_for("creatinine")}

    assert systems == {SNOMED, LOINC}


@pytest.mark.parametrize(
    "system", ["http://snomed.info/sct", "https://snomed.info/sct", "urn:oid:2.16.840.1.113883.6.96"]
)
def test_snomed_is_recognised_in_its_common_spellings(system: str) -> None:
    assert analyte_for(system, "1000731000000107") == "creatinine"


@pytest.mark.parametrize("system", ["http://loinc.org", "https://loinc.org", "urn:oid:2.16.840.1.113883.6.1"])
def test_loinc_is_recognised_in_its_common_spellings(system: str) -> None:
    assert analyte_for(system, "38483-4") == "creatinine"


def test_a_code_is_recognised_only_in_its_own_system() -> None:
    assert analyte_for(SNOMED, "38483-4") is None
    assert analyte_for(LOINC, "1000731000000107") is None


def test_a_code_with_stray_whitespace_is_still_recognised() -> None:
    assert analyte_for(SNOMED, " 1000731000000107 ") == "creatinine"


def test_an_unknown_or_local_code_means_no_analyte() -> None:
    assert analyte_for(SNOMED, "1022541000000102") is None
    assert analyte_for("http://read.info/readv2", "44J3.") is None


def test_the_blood_pressure_panels_include_the_loinc_panels_and_gp_connect_headers() -> None:
    panel_codes = {(coding.system, coding.code) for coding in codes_for("blood-pressure-panel")}

    assert {
        (LOINC, "55284-4"),
        (LOINC, "85354-9"),
        (SNOMED, "75367002"),
        (SNOMED, "163020007"),
    } == panel_codes
    assert all(CATALOGUE.by_coding[key] == "blood-pressure-panel" for key in panel_codes)


def test_the_component_codes_are_the_systolic_and_diastolic_codes() -> None:
    assert {coding.code for coding in codes_for("systolic-bp")} == {"72313002", "271649006", "8480-6"}
    assert {coding.code for coding in codes_for("diastolic-bp")} == {
        "271650006",
        "1091811000000102",
        "8462-4",
    }


def test_analyte_of_takes_the_first_coding_that_names_an_analyte() -> None:
    local = Coding("https://emis.example/local", "EMISCRE1")
    loinc = Coding(LOINC, "2160-0")

    assert analyte_of((local, loinc)) == ("creatinine", loinc)
    assert analyte_of((local,)) is None
