"""Taking patients off a clinic's list and closing the clinic, and every refusal.

No record is read here, so the practice is a practices file that points nowhere: the worklist shows its rows
with the summary unavailable, which is all these tests need of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.clinics.service import active_entry_in_specialty
from app.core.config import Settings
from tests.clinics.clinic_calls import (
    add_entry,
    add_patients,
    opened,
    with_unreachable_practice,
    worklist_rows,
)
from tests.support.identity import IdentityProvider, bearer

ACR_RISING = "ACR rising on two tests"

PRACTICE = "A11111"
FIRST, SECOND = "9990001006", "9990001014"
NOWHERE = "0" * 32


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return with_unreachable_practice(settings, tmp_path, {FIRST: PRACTICE, SECOND: PRACTICE})


async def _clinic_with_patients(client: httpx.AsyncClient, token: str) -> tuple[str, dict[str, str]]:
    """A clinic with FIRST and SECOND on its list, and each patient's entry id."""
    clinic_id = await opened(client, token)
    await add_patients(client, token, clinic_id, [FIRST, SECOND])
    detail = await client.get(f"/v1/clinics/{clinic_id}", headers=bearer(token))
    return clinic_id, {entry["nhs_number"]: entry["id"] for entry in detail.json()["entries"]}


async def remove(client: httpx.AsyncClient, token: str, clinic_id: str, entry_id: str) -> httpx.Response:
    return await client.delete(f"/v1/clinics/{clinic_id}/entries/{entry_id}", headers=bearer(token))


async def close(client: httpx.AsyncClient, token: str, clinic_id: str) -> httpx.Response:
    return await client.post(f"/v1/clinics/{clinic_id}/close", headers=bearer(token))


async def _entry_statuses(client: httpx.AsyncClient, token: str, clinic_id: str) -> list[tuple[str, str]]:
    detail = await client.get(f"/v1/clinics/{clinic_id}", headers=bearer(token))
    return [(entry["nhs_number"], entry["status"]) for entry in detail.json()["entries"]]


async def _events(app: FastAPI, purpose: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(col(AuditEvent.purpose) == purpose).order_by(col(AuditEvent.id))
    async with app.state.session_factory() as session:
        return list((await session.execute(query)).scalars().all())


async def test_a_removed_patient_leaves_the_worklist_but_stays_on_record(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id, entries = await _clinic_with_patients(client, consultant)

    response = await remove(client, consultant, clinic_id, entries[FIRST])

    assert response.status_code == 200, response.text
    removed = response.json()
    assert (removed["id"], removed["nhs_number"], removed["status"]) == (entries[FIRST], FIRST, "removed")
    assert [row["nhs_number"] for row in await worklist_rows(client, consultant, clinic_id)] == [SECOND]
    assert await _entry_statuses(client, consultant, clinic_id) == [(FIRST, "removed"), (SECOND, "waiting")]


async def test_a_removed_patient_can_be_put_back_at_the_end_of_the_list(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id, entries = await _clinic_with_patients(client, consultant)
    await remove(client, consultant, clinic_id, entries[FIRST])

    again = await add_entry(
        client, consultant, clinic_id, {"nhs_number": FIRST, "reason": "ACR rising again"}
    )

    assert again.status_code == 201, again.text
    assert (again.json()["position"], again.json()["status"]) == (3, "waiting")
    assert again.json()["id"] != entries[FIRST]
    rows = await worklist_rows(client, consultant, clinic_id)
    assert [row["nhs_number"] for row in rows] == [SECOND, FIRST]


async def test_removing_a_removed_entry_again_changes_nothing(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id, entries = await _clinic_with_patients(client, consultant)
    first = await remove(client, consultant, clinic_id, entries[FIRST])
    await close(client, consultant, clinic_id)

    # A retry after the clinic closed is not refused for a removal that already happened.
    second = await remove(client, consultant, clinic_id, entries[FIRST])

    assert second.status_code == 200, second.text
    assert second.json() == first.json()


async def test_an_entry_not_on_the_clinics_list_is_404(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id, entries = await _clinic_with_patients(client, consultant)
    other_clinic = await opened(client, consultant)
    for clinic, entry in [(clinic_id, NOWHERE), (other_clinic, entries[FIRST]), (NOWHERE, entries[FIRST])]:
        response = await remove(client, consultant, clinic, entry)
        assert response.status_code == 404, (clinic, entry, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await close(client, consultant, NOWHERE)).status_code == 404
    assert await _entry_statuses(client, consultant, clinic_id) == [(FIRST, "waiting"), (SECOND, "waiting")]


async def test_closing_a_clinic_and_closing_it_again(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)

    first, second = await close(client, consultant, clinic_id), await close(client, consultant, clinic_id)

    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert first.json()["status"] == "closed"
    assert second.json() == first.json()
    listed = await client.get("/v1/clinics", params={"status": "closed"}, headers=bearer(consultant))
    assert [clinic["id"] for clinic in listed.json()] == [clinic_id]


async def test_a_closed_clinics_list_no_longer_changes(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    await add_patients(client, consultant, clinic_id, [FIRST])
    detail = await client.get(f"/v1/clinics/{clinic_id}", headers=bearer(consultant))
    await close(client, consultant, clinic_id)

    added = await add_entry(client, consultant, clinic_id, {"nhs_number": SECOND, "reason": ACR_RISING})
    removed = await remove(client, consultant, clinic_id, detail.json()["entries"][0]["id"])

    for refused in (added, removed):
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["current_status"] == "closed"
    assert "no longer changes" in removed.json()["detail"]
    assert await _entry_statuses(client, consultant, clinic_id) == [(FIRST, "waiting")]


async def test_removing_and_closing_end_the_relationship_the_list_gave(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id, entries = await _clinic_with_patients(client, consultant)

    await remove(client, consultant, clinic_id, entries[FIRST])
    async with app.state.session_factory() as session:
        assert not await active_entry_in_specialty(session, "nephrology", FIRST)
        assert await active_entry_in_specialty(session, "nephrology", SECOND)
    await close(client, consultant, clinic_id)
    async with app.state.session_factory() as session:
        assert not await active_entry_in_specialty(session, "nephrology", SECOND)


async def test_only_the_specialty_and_admins_manage_a_clinic(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    clinic_id, entries = await _clinic_with_patients(client, identity.consultant())
    for outsider in (identity.consultant(specialty="cardiology"), identity.practice(ods=PRACTICE)):
        for refused in (
            await remove(client, outsider, clinic_id, entries[FIRST]),
            await close(client, outsider, clinic_id),
        ):
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
    assert await _entry_statuses(client, identity.admin(), clinic_id) == [
        (FIRST, "waiting"),
        (SECOND, "waiting"),
    ]

    admin = identity.admin()
    assert (await remove(client, admin, clinic_id, entries[FIRST])).status_code == 200
    assert (await close(client, admin, clinic_id)).json()["status"] == "closed"


async def test_removals_and_closing_are_audited_refusals_included(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id, entries = await _clinic_with_patients(client, consultant)
    await remove(client, identity.consultant(specialty="cardiology"), clinic_id, entries[FIRST])
    await remove(client, consultant, clinic_id, entries[FIRST])
    await close(client, consultant, clinic_id)
    await remove(client, consultant, clinic_id, entries[SECOND])

    removals = await _events(app, "remove a patient from a clinic")
    seen: list[tuple[Any, ...]] = [
        (e.actor, e.specialty, e.nhs_number, e.outcome, e.status) for e in removals
    ]
    assert seen == [
        ("dr-lee", "cardiology", None, "denied", 403),
        ("dr-lee", "nephrology", FIRST, "success", 200),
        ("dr-lee", "nephrology", SECOND, "failed", 409),
    ]
    assert {e.action for e in removals} == {"DELETE /v1/clinics/{clinic_id}/entries/{entry_id}"}
    closing = await _events(app, "close a clinic")
    assert [(e.action, e.outcome, e.status) for e in closing] == [
        ("POST /v1/clinics/{clinic_id}/close", "success", 200)
    ]
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, app.state.audit_log.key)
    assert verdict.intact, verdict.problems
