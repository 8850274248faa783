"""The worklist shows how many of each patient's follow-up actions are overdue, in the API and on the page."""

from __future__ import annotations

from datetime import timedelta

import httpx

from app.advice.responses import practice_today
from tests.advice.advice_calls import answered
from tests.web.conftest import DemoClinic


async def test_a_patient_with_an_overdue_action_has_a_count_and_a_badge_on_the_worklist(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    rows = await demo_clinic.worklist(client)
    asked = next(row for row in rows if row["advice_request_id"])
    yesterday = str(practice_today() - timedelta(days=1))
    actions = [{"code": "stop-nsaid", "due_date": yesterday}, {"code": "renal-ultrasound"}]
    await answered(client, demo_clinic.token, str(asked["advice_request_id"]), actions=actions)

    counts = {row["nhs_number"]: row["overdue_actions"] for row in await demo_clinic.worklist(client)}
    page = (await consultant.get(f"/clinics/{demo_clinic.id}")).text

    assert counts[asked["nhs_number"]] == 1
    assert sum(counts.values()) == 1
    assert page.count('class="badge badge-overdue"') == 1
    assert "1 overdue action</span>" in page
