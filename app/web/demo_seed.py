"""The demo clinics ``make run`` opens into: one for today per registered specialty, each with the demo
practice's patients whose stories belong to it. Dr Lee's renal clinic has several patients there because the
practice asked for advice; the other specialties' demo consultants find theirs from the practice search.

Seeded through the advice and clinic services, as the practice and the consultant would, and audited like
any other write. Safe on every restart: a clinic for the demo consultant today means the work is done, and
a demo patient's advice request still open from an earlier day is put on today's list rather than asked
again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.demo import DEMO_PATIENTS, DEMO_PRACTICE_ODS, demo_patients_of
from app.advice.models import AdviceRequest
from app.advice.service import create_advice_request, list_advice_requests
from app.audit.service import AuditLog, AuditNote
from app.auth.principal import Principal, Role
from app.clinics.models import Clinic
from app.clinics.service import add_clinic_entry, create_clinic, list_clinics
from app.records.wiring import PracticeNetwork
from app.specialties.registry import SPECIALTIES
from schemas.advice import Urgency
from schemas.api.advice import AdviceRequestCreate, AdviceStatus
from schemas.api.clinics import (
    ClinicConsultant,
    ClinicCreate,
    ClinicEntryForPatient,
    ClinicEntryFromAdviceRequest,
)

log = logging.getLogger("vclinic.web")

SEED_REQUEST_ID = "demo-seed"


@dataclass(frozen=True, slots=True)
class DemoConsultant:
    sub: str
    name: str
    specialty: str

    def claims(self) -> dict[str, Any]:
        return {"sub": self.sub, "role": "consultant", "specialty": self.specialty, "name": self.name}

    def principal(self) -> Principal:
        return Principal(sub=self.sub, role=Role.CONSULTANT, name=self.name, specialty=self.specialty)


DEMO_CONSULTANT = DemoConsultant("dr-lee", "Dr Lee", "nephrology")


def _demo_consultant(code: str, title: str) -> DemoConsultant:
    if code == DEMO_CONSULTANT.specialty:
        return DEMO_CONSULTANT
    return DemoConsultant(f"demo-{code}", f"Demo {title} consultant", code)


def demo_consultants() -> dict[str, DemoConsultant]:
    """One demo consultant per registered specialty, by ``sub``; Dr Lee (nephrology) first."""
    consultants = (_demo_consultant(code, specialty.title) for code, specialty in SPECIALTIES.items())
    return {consultant.sub: consultant for consultant in consultants}


DEMO_CONSULTANTS = demo_consultants()


@dataclass(frozen=True, slots=True)
class DemoGp:
    """A GP of the demo practice: signs in to that practice's own pages and nothing else."""

    sub: str
    name: str
    ods: str

    def claims(self) -> dict[str, Any]:
        return {"sub": self.sub, "role": "gp", "ods": self.ods, "name": self.name}


DEMO_GP = DemoGp("demo-gp", "Dr Patel", DEMO_PRACTICE_ODS)
DEMO_PRACTICE_SYSTEM = Principal(sub="demo-practice-system", role=Role.GP_SYSTEM, ods=DEMO_PRACTICE_ODS)

_BY_NAME = {patient.name: patient.nhs_number for patient in DEMO_PATIENTS}
# The practice's questions, in its own words: the loop a new user follows starts from one of these.
ADVICE_QUESTIONS: tuple[tuple[str, str, Urgency], ...] = (
    (
        "Brian Walsh",
        "eGFR down from 48 to 36 over four years despite ramipril. Is an SGLT2 increase enough?",
        "routine",
    ),
    (
        "Dorothy Clarke",
        "eGFR now 22 and still on metformin. Should we stop it, and does she need referral?",
        "urgent",
    ),
    (
        "Helen Baker",
        "eGFR fell from 78 to 40 in two years. Please advise on investigation and referral.",
        "urgent",
    ),
    ("Kwame Mensah", "ACR 85 with BP 146/92 on ramipril. Refer, or optimise treatment first?", "routine"),
    (
        "Grace Okafor",
        "BP 150/92 on four agents including spironolactone; potassium 5.1. Next steps?",
        "routine",
    ),
)
# Who at the demo practice asks, and how the consultant reaches them: the request's context carries it.
DEMO_REQUESTER = {
    "name": "Dr Amira Haddad",
    "role": "GP partner",
    "telephone": "020 7946 0018",
    "email": "mile.end.surgery@nhs.net",
}
# Patients the consultant adds from the practices' monthly falling-eGFR search.
SEARCH_ENTRIES = (
    ("Patricia Lewis", "eGFR 12 with ACR 150: approaching kidney failure on the practice search"),
    ("Ian Murray", "eGFR fell by more than 25% within a year on the practice search"),
    ("Mei Chen", "ACR 60 with haematuria on the practice search"),
    ("Winston Campbell", "Resistant hypertension with G3a on the practice search"),
    ("Joyce Wood", "Metformin still prescribed at eGFR 27 on the practice search"),
)


async def seed_demo_clinic(
    audit_log: AuditLog,
    network: PracticeNetwork,
    *,
    now: datetime,
    consultant: DemoConsultant = DEMO_CONSULTANT,
) -> bool:
    """Opens today's demo clinic with its patients unless it is already open; True when it seeded."""
    doctor = consultant.principal()
    async with audit_log.unit_of_work() as session:
        todays = await list_clinics(session, viewer=doctor, on=now.date())
        if any(clinic.consultant_sub == doctor.sub for clinic in todays):
            return False
        clinic = await create_clinic(
            session,
            author=doctor,
            submission=ClinicCreate(
                specialty=consultant.specialty,
                date=now.date(),
                consultant=ClinicConsultant(sub=doctor.sub, name=consultant.name),
            ),
            now=now,
        )
        await _audit(audit_log, session, doctor, "open a clinic", None)
        questions, searched = _entries_for(consultant.specialty)
        for name, question, urgency in questions:
            request = await _open_request(
                audit_log, session, network, _BY_NAME[name], question, urgency, consultant
            )
            submission = ClinicEntryFromAdviceRequest(advice_request_id=request.id)
            await _add(audit_log, session, network, clinic, doctor, submission, now)
        for name, reason in searched:
            submission_for = ClinicEntryForPatient(nhs_number=_BY_NAME[name], reason=reason)
            await _add(audit_log, session, network, clinic, doctor, submission_for, now)
    log.info("demo clinic seeded", extra={"clinic": clinic.id, "specialty": consultant.specialty})
    return True


async def seed_demo_clinics(audit_log: AuditLog, network: PracticeNetwork, *, now: datetime) -> int:
    """Today's demo clinic for every registered specialty's demo consultant; how many were opened now."""
    seeded = 0
    for consultant in demo_consultants().values():
        seeded += await seed_demo_clinic(audit_log, network, now=now, consultant=consultant)
    return seeded


def _entries_for(specialty: str) -> tuple[tuple[tuple[str, str, Urgency], ...], tuple[tuple[str, str], ...]]:
    """The practice's questions and the searched patients of a specialty's demo clinic."""
    if specialty == DEMO_CONSULTANT.specialty:
        return ADVICE_QUESTIONS, SEARCH_ENTRIES
    return (), tuple((patient.name, patient.story) for patient in demo_patients_of(specialty))


async def _open_request(
    audit_log: AuditLog,
    session: AsyncSession,
    network: PracticeNetwork,
    nhs_number: str,
    question: str,
    urgency: Urgency,
    consultant: DemoConsultant,
) -> AdviceRequest:
    still_open, _ = await list_advice_requests(
        session,
        viewer=DEMO_PRACTICE_SYSTEM,
        status=AdviceStatus.AWAITING_REVIEW,
        specialty=consultant.specialty,
        nhs_number=nhs_number,
        limit=1,
    )
    if still_open:
        return still_open[0]
    submission = AdviceRequestCreate(
        nhs_number=nhs_number,
        specialty=consultant.specialty,
        question=question,
        urgency=urgency,
        context={"requester": DEMO_REQUESTER},
        # The demo practice authorises conversion, so the demo can show a referral handed on (and held).
        authorised_to_convert=True,
    )
    created = await create_advice_request(
        session, author=DEMO_PRACTICE_SYSTEM, submission=submission, network=network
    )
    await _audit(audit_log, session, DEMO_PRACTICE_SYSTEM, "request specialist advice", nhs_number)
    return created


async def _add(
    audit_log: AuditLog,
    session: AsyncSession,
    network: PracticeNetwork,
    clinic: Clinic,
    doctor: Principal,
    submission: ClinicEntryFromAdviceRequest | ClinicEntryForPatient,
    now: datetime,
) -> None:
    entry = await add_clinic_entry(
        session, clinic=clinic, author=doctor, submission=submission, network=network, now=now
    )
    await _audit(audit_log, session, doctor, "add a patient to a clinic", entry.nhs_number)


async def _audit(
    audit_log: AuditLog, session: AsyncSession, principal: Principal, purpose: str, nhs_number: str | None
) -> None:
    note = AuditNote(purpose=purpose, action="seed the demo clinic", nhs_number=nhs_number)
    await audit_log.append(
        session, principal=principal, note=note, outcome="success", status=201, request_id=SEED_REQUEST_ID
    )
