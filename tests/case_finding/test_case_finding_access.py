"""Who may start and read case-finding runs: the specialty's consultants, admins and the practice's own users
and systems; everyone else is refused with problem+json, and every call is audited."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.case_finding.case_finding_calls import PRACTICE, WITHOUT_CONSENT, start
from tests.support.identity import IdentityProvider, bearer


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("nephrology consultant", True),
        ("admin", True),
        ("the practice's gp", True),
        ("the practice's gp system", True),
        ("another specialty's consultant", False),
        ("another practice's gp", False),
    ],
)
async def test_who_may_start_and_read_a_run(
    cf_client: httpx.AsyncClient, identity: IdentityProvider, who: str, allowed: bool
) -> None:
    token = {
        "nephrology consultant": identity.consultant(),
        "admin": identity.admin(),
        "the practice's gp": identity.practice(PRACTICE, role="gp", sub="gp-1"),
        "the practice's gp system": identity.practice(PRACTICE),
        "another specialty's consultant": identity.consultant("cardiology", sub="dr-heart"),
        "another practice's gp": identity.practice("C33333", role="gp", sub="gp-2"),
    }[who]
    started = await start(cf_client, token)
    if not allowed:
        assert started.status_code == 403
        assert started.headers["content-type"] == "application/problem+json"
        return
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert (await cf_client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(token))).status_code == 200


async def test_a_run_is_read_only_by_those_who_may_start_one(
    cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    run_id = (await start(cf_client, identity.consultant())).json()["id"]
    for outsider in (
        identity.consultant("cardiology", sub="dr-heart"),
        identity.practice("C33333", role="gp", sub="gp-2"),
    ):
        for path in (f"/v1/case-finding/runs/{run_id}", f"/v1/case-finding/runs/{run_id}/findings"):
            response = await cf_client.get(path, headers=bearer(outsider))
            assert response.status_code == 403, path


async def test_a_practice_that_has_not_agreed_is_a_conflict(
    cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    refused = await start(cf_client, identity.admin(), practice=WITHOUT_CONSENT)
    assert refused.status_code == 409
    assert "case_finding" in refused.json()["detail"]


async def test_an_unknown_specialty_is_unprocessable(
    cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    refused = await start(cf_client, identity.admin(), specialty="astrology")
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"


async def test_starting_twice_answers_with_the_run_already_queued(
    cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    first = await start(cf_client, identity.consultant())
    second = await start(cf_client, identity.admin())
    assert second.status_code == 202
    assert second.json()["id"] == first.json()["id"]


async def test_a_cancelled_run_stays_cancelled_and_the_practice_register_is_the_practices_own(
    cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    run_id = (await start(cf_client, identity.consultant())).json()["id"]
    cancelled = await cf_client.post(
        f"/v1/case-finding/runs/{run_id}/cancel", headers=bearer(identity.practice(PRACTICE))
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"

    register = f"/v1/practices/{PRACTICE}/case-findings"
    own = await cf_client.get(register, headers=bearer(identity.practice(PRACTICE)))
    assert own.status_code == 200
    assert own.json()["specialties"][0]["latest_run"]["status"] == "cancelled"
    for outsider in (identity.consultant(), identity.practice("C33333", role="gp", sub="gp-2")):
        assert (await cf_client.get(register, headers=bearer(outsider))).status_code == 403


async def test_every_call_is_audited(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    run_id = (await start(cf_client, identity.consultant())).json()["id"]
    await cf_client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(identity.consultant()))
    await cf_client.get(
        f"/v1/case-finding/runs/{run_id}", headers=bearer(identity.consultant("cardiology", sub="dr-heart"))
    )
    async with cf_app.state.session_factory() as session:
        events = (await session.execute(select(AuditEvent))).scalars().all()
    seen = [
        (e.purpose, e.outcome)
        for e in events
        if e.purpose in ("start a case-finding run", "read a case-finding run")
    ]
    assert sorted(seen) == sorted(
        [
            ("start a case-finding run", "success"),
            ("read a case-finding run", "success"),
            ("read a case-finding run", "denied"),
        ]
    )
