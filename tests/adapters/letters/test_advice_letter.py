"""The advice letter: an A4 PDF in core fonts with all the practice needs, the same bytes every time."""

from __future__ import annotations

import datetime as dt
import re
import zlib

from adapters.letters import render_advice_letter
from adapters.letters.text import latin1, nhs_number, short_date
from schemas.advice import ChartPoint
from tests.outbox.factories import advice_message

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


def page_text(pdf: bytes) -> str:
    """The content streams, inflated and unescaped: text shows as ``(...) Tj``, drawing as path operators."""
    parts = []
    for raw in _STREAM.findall(pdf):
        try:
            parts.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            parts.append(raw.decode("latin-1"))
    return "\n".join(parts).replace("\\(", "(").replace("\\)", ")")


def test_the_same_advice_renders_to_the_same_bytes() -> None:
    message = advice_message()
    assert render_advice_letter(message) == render_advice_letter(message)


def test_the_document_is_dated_when_the_advice_was_given_and_is_a4() -> None:
    pdf = render_advice_letter(advice_message())
    assert pdf.startswith(b"%PDF-")
    assert b"/CreationDate (D:20261122093000Z" in pdf
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf


def test_the_letter_names_the_service_consultant_and_patient() -> None:
    text = page_text(render_advice_letter(advice_message()))
    for expected in (
        "Virtual Clinic",
        "Nephrology advice",
        "From: Dr Lee, consultant, Nephrology",
        "Date: 22 November 2026",
        "Mile End Surgery (ODS code A12345)",
        "Harold Smith",
        "NHS number: 943 476 5919",
        "Born: 19-Feb-1953",
    ):
        assert expected in text, expected


def test_the_letter_carries_the_question_advice_and_dated_actions() -> None:
    text = page_text(render_advice_letter(advice_message()))
    assert "eGFR has fallen from 52 to 41 in a year" in text
    assert "Start an SGLT2 inhibitor; repeat U&E and ACR in 3 months." in text
    assert "Return with advice. Recommendation: advice then refer if required." in text
    assert "- Repeat eGFR and ACR - due 22-Feb-2027" in text
    assert "Target below 140/90" in text


def test_an_egfr_chart_is_drawn_with_its_kidney_function_bands() -> None:
    text = page_text(render_advice_letter(advice_message()))
    assert "eGFR trend" in text
    for label in ("G3a", "G3b", "G4", "G5", "eGFR (mL/min/1.73m2)", "10-Jan-2023", "09-Mar-2025"):
        assert label in text, label
    assert text.count(" c f\n") == 3, "one filled circle per result"
    assert text.count("(90) Tj") == 1


def test_without_results_there_is_no_chart() -> None:
    text = page_text(render_advice_letter(advice_message(egfr_chart=[])))
    assert "eGFR trend" not in text
    assert "G3a" not in text


def test_a_single_result_still_makes_a_chart() -> None:
    message = advice_message(egfr_chart=[ChartPoint(date=dt.date(2025, 3, 9), value=130.0)])
    text = page_text(render_advice_letter(message))
    assert "09-Mar-2025" in text
    assert "(135) Tj" in text, "the value axis grows to fit a high eGFR"


def test_long_advice_flows_onto_further_pages() -> None:
    pdf = render_advice_letter(advice_message(advice="Continue current treatment. " * 250))
    assert b"/Count 2" in pdf or b"/Count 3" in pdf
    assert "Page 2 of" in page_text(pdf)


def test_text_outside_latin_1_is_spelled_in_it() -> None:
    pasted = "Łukasz Dvořák said \u201cstop\u201d \u2013 now\u2026"
    assert latin1(pasted) == 'Lukasz Dvorák said "stop" - now...'
    assert latin1("Zoë Brontë") == "Zoë Brontë"
    assert latin1("日本") == "??"
    patient = advice_message().patient.model_copy(update={"name": "Łukasz Wójcik"})
    text = page_text(render_advice_letter(advice_message(patient=patient)))
    assert "Lukasz W\xf3jcik" in text


def test_nhs_numbers_are_grouped_three_three_four() -> None:
    assert nhs_number("9434765919") == "943 476 5919"
    assert short_date(dt.date(2027, 2, 1)) == "01-Feb-2027"
