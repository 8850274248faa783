"""The advice letter: one A4 PDF per advice message, laid out like an NHS clinic letter.

Everything on it comes from the ``AdviceMessage``; the document's creation date is the time the advice was
given, so the same message always renders to the same bytes.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from adapters.letters.chart import ChartBox, draw_egfr_chart
from adapters.letters.text import latin1, long_date, nhs_number, short_date, words
from schemas.advice import AdviceMessage, FollowUpAction

SERVICE_NAME = "Virtual Clinic"
_MARGIN = 20.0
_NHS_BLUE = (0, 94, 184)
_TEXT = (33, 43, 50)
_MUTED = (66, 84, 98)
_CHART_HEIGHT = 55.0


class _LetterPdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("helvetica", size=7)
        self.set_text_color(*_MUTED)
        self.cell(0, 4, self._footer_text, align="L", new_x=XPos.LMARGIN)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")


def render_advice_letter(message: AdviceMessage) -> bytes:
    """The letter as PDF bytes."""
    pdf = _LetterPdf(latin1(f"{SERVICE_NAME} advice {message.message_id}, version {message.version}"))
    pdf.set_creation_date(message.given_at)
    pdf.set_title(latin1(f"{message.specialty_title} advice"))
    pdf.set_author(latin1(SERVICE_NAME))
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    _header(pdf, message)
    _patient(pdf, message)
    _section(pdf, "Your question", message.question, note=_asked(message))
    _outcome(pdf, message)
    _section(pdf, "Advice", message.advice)
    _actions(pdf, message.actions)
    if message.egfr_chart:
        _chart(pdf, message)
    return bytes(pdf.output())


def _header(pdf: FPDF, message: AdviceMessage) -> None:
    pdf.set_fill_color(*_NHS_BLUE)
    pdf.rect(0, 0, pdf.w, 14, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("helvetica", style="B", size=13)
    pdf.text(_MARGIN, 9.5, SERVICE_NAME)
    title = latin1(f"{message.specialty_title} advice")
    pdf.text(pdf.w - _MARGIN - pdf.get_string_width(title), 9.5, title)
    pdf.set_y(20)
    pdf.set_text_color(*_TEXT)
    pdf.set_font("helvetica", size=10)
    consultant = message.consultant_name or message.consultant_id
    _line(pdf, f"From: {consultant}, consultant, {message.specialty_title}")
    _line(pdf, f"Date: {long_date(message.given_at.date())}")
    practice = message.practice_name or "the practice"
    _line(pdf, f"To: {practice} (ODS code {message.practice_ods})")
    pdf.ln(3)


def _patient(pdf: FPDF, message: AdviceMessage) -> None:
    patient = message.patient
    pdf.set_fill_color(232, 237, 238)
    pdf.set_font("helvetica", style="B", size=10)
    name = patient.name or patient.family_name or "Name not recorded"
    born = short_date(patient.birth_date) if patient.birth_date else "not recorded"
    text = f"Patient: {name}    NHS number: {nhs_number(patient.nhs_number)}    Born: {born}"
    pdf.multi_cell(0, 8, latin1(text), fill=True, padding=(0, 3), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _asked(message: AdviceMessage) -> str:
    return f"Asked {short_date(message.requested_at.date())}, {message.urgency}"


def _outcome(pdf: FPDF, message: AdviceMessage) -> None:
    _heading(pdf, "Outcome")
    _paragraph(pdf, f"{words(message.outcome)}. Recommendation: {words(message.recommendation).lower()}.")


def _section(pdf: FPDF, title: str, body: str, *, note: str | None = None) -> None:
    _heading(pdf, title, note=note)
    _paragraph(pdf, body)


def _actions(pdf: FPDF, actions: list[FollowUpAction]) -> None:
    _heading(pdf, "Follow-up actions for the practice")
    if not actions:
        _paragraph(pdf, "None.")
        return
    for action in actions:
        due = f" - due {short_date(action.due_date)}" if action.due_date else ""
        pdf.set_font("helvetica", style="B", size=10)
        pdf.multi_cell(0, 5, latin1(f"- {action.title}{due}"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if action.note:
            pdf.set_font("helvetica", size=10)
            pdf.set_x(_MARGIN + 3)
            pdf.multi_cell(0, 5, latin1(action.note), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _chart(pdf: FPDF, message: AdviceMessage) -> None:
    needed = _CHART_HEIGHT + 22
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    _heading(pdf, "eGFR trend", note=f"{len(message.egfr_chart)} results")
    top = pdf.get_y() + 6
    box = ChartBox(left=_MARGIN + 10, top=top, width=pdf.w - 2 * _MARGIN - 20, height=_CHART_HEIGHT)
    draw_egfr_chart(pdf, message.egfr_chart, box)
    pdf.set_text_color(*_TEXT)
    pdf.set_y(box.bottom + 8)


def _heading(pdf: FPDF, title: str, *, note: str | None = None) -> None:
    pdf.set_text_color(*_NHS_BLUE)
    pdf.set_font("helvetica", style="B", size=11)
    pdf.cell(0, 7, latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if note:
        pdf.set_text_color(*_MUTED)
        pdf.set_font("helvetica", style="I", size=8)
        pdf.cell(0, 4, latin1(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_TEXT)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font("helvetica", size=10)
    pdf.multi_cell(0, 5, latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _line(pdf: FPDF, text: str) -> None:
    pdf.cell(0, 5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
