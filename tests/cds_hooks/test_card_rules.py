"""A card says what the summary found, at the urgency its criteria carry: critical for a two-week pathway,
warning for another met criterion, info for a case-finding rule alone; its summary stays under 140."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.demo.practice import DEMO_PATIENTS
from app.cds_hooks.cards import card_for
from app.cds_hooks.discovery import cds_services
from app.specialties.base import CaseFinding
from app.specialties.registry import SPECIALTIES, analyte_catalogue
from schemas.api.summary import SpecialtySummary
from tests.cds_hooks.ehr import Ehr

SERVICES = cds_services(SPECIALTIES.values(), analyte_catalogue())
RENAL = SERVICES["renal-advice"]


def _summary(*criteria: dict[str, Any]) -> SpecialtySummary:
    return SpecialtySummary.model_validate(
        {
            "specialty": "nephrology",
            "generated_at": datetime(2026, 11, 29, tzinfo=UTC),
            "complete": True,
            "sources": [],
            "patient": {
                "nhs_number": "9434765919",
                "name": None,
                "birth_date": None,
                "age": None,
                "sex": "male",
            },
            "referral_criteria": list(criteria),
            "latest": {},
            "series": {},
            "medications": [],
            "conditions": [],
            "warnings": [],
        }
    )


def _criterion(
    code: str, status: str, *, title: str = "A criterion", urgency: str | None = None
) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "status": status,
        "evidence": f"evidence of {code}",
        "urgency": urgency,
    }


def _findings(summary: SpecialtySummary, *others: CaseFinding) -> list[CaseFinding]:
    met = [CaseFinding(c.code, c.title, c.evidence) for c in summary.referral_criteria if c.status == "met"]
    return [*met, *others]


def _card(summary: SpecialtySummary, *others: CaseFinding) -> Any:
    issued = card_for(
        RENAL,
        summary,
        _findings(summary, *others),
        patient_id="p1",
        base_url="https://vc.test",
        practice_ods="A12345",
    )
    assert issued is not None
    return issued


def test_no_rule_met_means_no_card() -> None:
    summary = _summary(_criterion("kfre-5y-over-5pct", "not-met"))

    assert (
        card_for(RENAL, summary, [], patient_id="p1", base_url="https://vc.test", practice_ods="A12345")
        is None
    )


def test_a_met_criterion_is_a_warning_naming_its_evidence() -> None:
    issued = _card(_summary(_criterion("acr-70-or-more", "met"), _criterion("kfre-5y-over-5pct", "not-met")))

    assert issued.card.indicator == "warning"
    assert issued.rule_codes == ("acr-70-or-more",)
    assert "evidence of acr-70-or-more" in issued.card.detail
    assert "kfre-5y-over-5pct" not in issued.card.detail


def test_the_card_links_to_the_practices_request_form_filled_in_and_to_the_summary() -> None:
    issued = _card(_summary(_criterion("acr-70-or-more", "met")))

    ask, summary = issued.card.links
    assert ask.label == "Ask the renal team for advice"
    assert ask.type == "absolute"
    assert ask.url == (
        "https://vc.test/practices/A12345/advice-requests/new?nhs_number=9434765919&specialty=nephrology"
    )
    assert summary.url == "https://vc.test/v1/patients/9434765919/summaries/nephrology"


def test_a_two_week_pathway_is_critical_and_leads_the_summary() -> None:
    summary = _summary(
        _criterion("routine-one", "met", title="Routine thing"),
        _criterion("urgent-one", "met", title="Urgent thing", urgency="two-week"),
    )

    issued = _card(summary)

    assert issued.card.indicator == "critical"
    assert issued.card.summary.startswith("Urgent thing — consider renal advice")
    assert issued.card.summary.endswith("(+1 more)")


def test_a_case_finding_rule_alone_is_info() -> None:
    coding_gap = CaseFinding("ckd-not-coded", "CKD not coded", "two eGFRs under 60 three months apart")

    issued = _card(_summary(), coding_gap)

    assert issued.card.indicator == "info"
    assert issued.rule_codes == ("ckd-not-coded",)


def test_a_long_title_is_cut_so_the_summary_stays_under_140() -> None:
    issued = _card(_summary(_criterion("long", "met", title="eGFR " * 60)))

    assert len(issued.card.summary) < 140
    assert issued.card.summary.endswith("— consider renal advice")


def test_markdown_in_evidence_cannot_inject_links_or_markup() -> None:
    summary = _summary({**_criterion("x", "met"), "evidence": "[click](https://evil.test) *bold* <img>"})

    detail = _card(summary).card.detail

    assert "[click](" not in detail
    assert "\\[click\\](https://evil.test) \\*bold\\* \\<img\\>" in detail


async def test_a_two_week_heart_failure_pathway_is_a_critical_card_in_the_ehr(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    nhs_number = next(p.nhs_number for p in DEMO_PATIENTS if "heart-failure" in p.specialties)
    path = "/cds-services/heart-failure-advice"
    body = ehr.request(ehr.patient_id(nhs_number), fhir_server=ehr.fhir_base)

    response = await ehr_client.post(path, json=body, headers=ehr.headers(path))

    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    assert card["indicator"] == "critical"
    assert "consider heart failure advice" in card["summary"]
