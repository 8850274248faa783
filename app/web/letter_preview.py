"""The advice letter as the practice will get it, drawn as a page from the advice form before it is sent.

The preview is built from the same pieces as the letter: the ``AdviceMessage`` the outbox would send, and
the letter context read from the patient's practice (their name and birth date, and the chart's results).
Nothing is given or sent; the form posts here into a new tab, and the consultant sends from the form.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.access.relationships import require_record_access
from app.advice.access import visible_request
from app.advice.letter_context import letter_context
from app.audit.service import AuditNote
from app.clinics.service import clinic_for
from app.core.deps import SessionDep, audited
from app.core.errors import Unprocessable
from app.core.params import NhsNumberPath
from app.specialties.registry import get_specialty
from app.web.advice_form import AdviceFormInvalid, advice_from_form, form_field
from app.web.chart import ChartValue, Series, series_chart
from app.web.csrf import CsrfChecked
from app.web.errors import PAGE_TAG
from app.web.pages import READ_SUMMARY_PURPOSE, ClinicId
from app.web.session import ConsultantPageDep
from app.web.summary_view import band_of
from app.web.templating import render, unit_for_people
from schemas.advice import AdviceMessage, FollowUpAction

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)
# The letter carries one chart, of eGFR (``AdviceMessage.egfr_chart``), so its preview draws that one.
LETTER_CHART_ANALYTE = "egfr"
EGFR_UNIT = "mL/min/1.73m2"


@router.post("/clinics/{clinic_id}/patients/{nhs_number}/letter-preview")
async def letter_preview_page(
    request: Request,
    clinic_id: ClinicId,
    nhs_number: NhsNumberPath,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited(READ_SUMMARY_PURPOSE))],
    viewer: ConsultantPageDep,
    session: SessionDep,
) -> Response:
    """The advice letter the form describes, as the practice would read it; nothing is sent."""
    form = await request.form()
    clinic = await clinic_for(session, viewer, clinic_id)
    specialty = get_specialty(clinic.specialty)
    await require_record_access(session, viewer, specialty.code, nhs_number, note)
    advice_request = await visible_request(
        session, viewer, form_field(form, "advice_request_id", max_length=64)
    )
    if advice_request.nhs_number != nhs_number:
        raise Unprocessable("the advice request is for another patient")
    page = {"viewer": viewer, "clinic_id": clinic.id, "nhs_number": nhs_number}
    try:
        submission = advice_from_form(form)
    except AdviceFormInvalid as invalid:
        # The request's details are read before the database connection is given back.
        await session.commit()
        return render(request, "letter_preview.html", page | {"errors": invalid.errors, "letter": None})
    practice = request.app.state.practices.practices.get(advice_request.practice_ods)
    now: dt.datetime = request.app.state.clock()
    requested_at = advice_request.created_at.replace(tzinfo=advice_request.created_at.tzinfo or dt.UTC)
    titles = {action.code: action.title for action in specialty.follow_up_actions}
    # The practice may take seconds to answer; the database connection is not held while it does.
    await session.commit()
    context = await letter_context(
        request.app.state.practices,
        specialty,
        nhs_number,
        now=now,
        specialty_settings=request.app.state.specialty_settings,
    )
    letter = AdviceMessage(
        message_id="preview",
        advice_request_id=advice_request.id,
        version=1,
        practice_ods=advice_request.practice_ods,
        practice_name=practice.name if practice is not None else None,
        specialty=specialty.code,
        specialty_title=specialty.title,
        patient=context.patient,
        question=advice_request.question,
        urgency=advice_request.urgency,
        requested_at=requested_at,
        outcome=submission.outcome,
        recommendation=submission.recommendation,
        advice=submission.advice,
        actions=[
            FollowUpAction(
                code=action.code,
                title=titles.get(action.code, action.code),
                due_date=action.due_date,
                note=action.note,
            )
            for action in submission.actions
        ],
        consultant_name=viewer.name,
        consultant_id=viewer.sub,
        given_at=now,
        egfr_chart=context.chart,
    )
    titles = {analyte.code: analyte.title for analyte in specialty.analytes}
    title = titles.get(LETTER_CHART_ANALYTE, LETTER_CHART_ANALYTE)
    chart = series_chart(
        "letter",
        f"{title} trend",
        unit_for_people(EGFR_UNIT),
        [
            Series(
                "Result", "series-main", [ChartValue(p.date, p.value, f"{p.value:g}") for p in context.chart]
            )
        ],
        [band_of(band) for band in specialty.thresholds.get(LETTER_CHART_ANALYTE, ())],
    )
    return render(request, "letter_preview.html", page | {"errors": [], "letter": letter, "chart": chart})
