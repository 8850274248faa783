"""The GP accepts or overrides a card; each outcome is stored once against the card's rules, and the advice
metrics report acceptance and override rates per rule."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from adapters.demo.practice import DEMO_PATIENTS
from tests.cds_hooks.ehr import Ehr
from tests.support.identity import IdentityProvider, bearer

RENAL = "/cds-services/renal-advice"


@pytest.fixture
def app_database_url(database_url: str) -> str:
    """Stored on both engines: the rows every worker shares are the point."""
    return database_url


FEEDBACK = "/cds-services/renal-advice/feedback"
FALLING_EGFR = next(p.nhs_number for p in DEMO_PATIENTS if p.name == "Ian Murray")
RAPID_DECLINE = next(p.nhs_number for p in DEMO_PATIENTS if p.name == "Helen Baker")


async def _card(client: httpx.AsyncClient, ehr: Ehr, nhs_number: str) -> dict[str, Any]:
    patient_id = ehr.patient_id(nhs_number)
    body = ehr.request(patient_id, fhir_server=ehr.fhir_base)
    response = await client.post(RENAL, json=body, headers=ehr.headers(RENAL))
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    return dict(card)


def _overridden(card: dict[str, Any], code: str = "already-under-specialty") -> dict[str, Any]:
    reason = next(r for r in card["overrideReasons"] if r["code"] == code)
    return {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {"reason": reason, "userComment": "seen in renal clinic last month"},
        "outcomeTimestamp": "2026-11-29T10:00:00Z",
    }


def _accepted(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
        "outcomeTimestamp": "2026-11-29T10:01:00Z",
    }


async def _feedback(
    client: httpx.AsyncClient, ehr: Ehr, *items: dict[str, Any], path: str = FEEDBACK
) -> httpx.Response:
    return await client.post(path, json={"feedback": list(items)}, headers=ehr.headers(path))


async def _cds_metrics(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/metrics/advice", headers=bearer(token))
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["cds_cards"]
    return rows


async def test_an_override_is_stored_once_and_a_repeat_changes_nothing(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    card = await _card(ehr_client, ehr, FALLING_EGFR)

    first = await _feedback(ehr_client, ehr, _overridden(card))
    repeat = await _feedback(ehr_client, ehr, _overridden(card))
    contradiction = await _feedback(ehr_client, ehr, _accepted(card))

    assert first.status_code == 200, first.text
    assert first.json() == {"recorded": 1, "already_recorded": 0}
    assert repeat.json() == {"recorded": 0, "already_recorded": 1}
    assert contradiction.status_code == 409
    assert contradiction.headers["content-type"].startswith("application/problem+json")


async def test_feedback_on_a_card_never_issued_is_404_and_stores_nothing(
    ehr_client: httpx.AsyncClient, ehr: Ehr, identity: IdentityProvider
) -> None:
    card = await _card(ehr_client, ehr, FALLING_EGFR)
    stranger = {**_accepted(card), "card": str(uuid.uuid4())}

    response = await _feedback(ehr_client, ehr, _accepted(card), stranger)

    assert response.status_code == 404
    assert all(row["accepted"] == 0 for row in await _cds_metrics(ehr_client, identity.admin()))


async def test_feedback_under_another_service_does_not_find_the_card(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    card = await _card(ehr_client, ehr, FALLING_EGFR)

    response = await _feedback(
        ehr_client, ehr, _accepted(card), path="/cds-services/diabetes-advice/feedback"
    )

    assert response.status_code == 404


async def test_metrics_give_acceptance_and_override_rates_per_rule(
    ehr_client: httpx.AsyncClient, ehr: Ehr, identity: IdentityProvider
) -> None:
    overridden = await _card(ehr_client, ehr, FALLING_EGFR)
    accepted = await _card(ehr_client, ehr, FALLING_EGFR)
    summary = await ehr_client.get(
        f"/v1/patients/{FALLING_EGFR}/summaries/nephrology",
        headers={**bearer(identity.consultant()), "X-Break-Glass-Reason": "comparing the card rules"},
    )
    met = {c["code"] for c in summary.json()["referral_criteria"] if c["status"] == "met"}

    assert (await _feedback(ehr_client, ehr, _overridden(overridden), _accepted(accepted))).status_code == 200

    rows = {row["rule"]: row for row in await _cds_metrics(ehr_client, identity.admin())}
    assert met <= set(rows)
    for code in met:
        row = rows[code]
        assert row["service"] == "renal-advice"
        assert row["practice_ods"] == "A12345"
        assert (row["cards"], row["accepted"], row["overridden"]) == (2, 1, 1)
        assert row["acceptance_rate"] == 0.5
        assert row["override_rate"] == 0.5
        assert row["override_reasons"] == {"already-under-specialty": 1}


async def test_metrics_show_each_caller_only_what_it_may_see(
    ehr_client: httpx.AsyncClient, ehr: Ehr, identity: IdentityProvider
) -> None:
    await _card(ehr_client, ehr, RAPID_DECLINE)

    assert await _cds_metrics(ehr_client, identity.practice("A12345"))
    assert await _cds_metrics(ehr_client, identity.consultant("nephrology"))
    assert await _cds_metrics(ehr_client, identity.practice("B99999")) == []
    assert await _cds_metrics(ehr_client, identity.consultant("diabetes")) == []
