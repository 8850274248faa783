"""Overdue actions: one ``action-overdue`` event in the practice feed per action, and a count per patient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from app.advice.responses import practice_today
from app.core.config import Settings
from app.follow_up.checks import claim_checks
from app.follow_up.service import overdue_counts
from app.follow_up.wiring import run_follow_up_worker
from tests.advice.practices import MILE_END, MILE_END_PATIENT, SECOND_MILE_END_PATIENT
from tests.follow_up.follow_up_calls import REPEAT_UE, STOP_NSAID, advised_with, mark_done
from tests.support.identity import IdentityProvider, bearer


def _due(days: int, code: str = "stop-nsaid") -> dict[str, str]:
    return {"code": code, "due_date": str(practice_today() + timedelta(days=days))}


async def _feed(client: httpx.AsyncClient, identity: IdentityProvider) -> list[dict[str, object]]:
    response = await client.get(f"/v1/practices/{MILE_END}/feed", headers=bearer(identity.practice()))
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_an_open_action_past_its_due_date_appears_in_the_feed_once(
    client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    _request_id, (overdue, _not_yet, done) = await advised_with(
        client, identity, _due(-1), _due(5, "sick-day-rules"), _due(-2, "renal-ultrasound")
    )
    await mark_done(client, identity.practice(), done["id"])

    await run_follow_up_worker(settings, once=True)
    await run_follow_up_worker(settings, once=True)
    feed = await _feed(client, identity)

    events = [item for item in feed if item["event"] == "action-overdue"]
    assert [event["action"]["action_id"] for event in events] == [overdue["id"]]  # type: ignore[index]
    assert [item["event"] for item in feed] == ["advice", "action-overdue"]
    assert all(item["advice"] is None for item in events)


async def test_the_worklist_count_is_each_patients_open_overdue_actions_in_the_specialty(
    client: httpx.AsyncClient, identity: IdentityProvider, app: FastAPI
) -> None:
    await advised_with(client, identity, _due(-1), _due(-3, "renal-ultrasound"), _due(3, "sick-day-rules"))
    await advised_with(client, identity, STOP_NSAID, nhs_number=SECOND_MILE_END_PATIENT)

    async with app.state.session_factory() as session:
        counts = await overdue_counts(
            session,
            specialty="nephrology",
            nhs_numbers=[MILE_END_PATIENT, SECOND_MILE_END_PATIENT],
            today=practice_today(),
        )
        elsewhere = await overdue_counts(
            session, specialty="diabetes", nhs_numbers=[MILE_END_PATIENT], today=practice_today()
        )

    assert (counts, elsewhere) == ({MILE_END_PATIENT: 2}, {})


async def test_a_claimed_check_is_not_claimed_again_by_another_worker_until_its_lease_runs_out(
    client: httpx.AsyncClient, identity: IdentityProvider, app: FastAPI
) -> None:
    await advised_with(client, identity, REPEAT_UE, STOP_NSAID)
    later = datetime.now(UTC) + timedelta(days=1)
    lease = timedelta(minutes=5)

    async def claim(now: datetime) -> list[str]:
        async with app.state.session_factory() as session, session.begin():
            claimed = await claim_checks(session, due_by=now, now=now, lease=lease, limit=10)
        return [action.code for action in claimed]

    first = await claim(later)
    second = await claim(later + timedelta(minutes=1))
    after_lease = await claim(later + timedelta(minutes=6))

    assert (first, second, after_lease) == (["repeat-ue-2-weeks"], [], ["repeat-ue-2-weeks"])
