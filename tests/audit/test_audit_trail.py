"""Every patient-data access leaves a hash-chained audit event; any edit or deletion is detected."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.audit.service import verify_chain
from app.core.config import Settings
from tests.support.identity import IdentityProvider, bearer

PATIENT = "9434765919"


async def _read_trail(client: httpx.AsyncClient, token: str, nhs_number: str = PATIENT) -> httpx.Response:
    return await client.get(f"/v1/audit?nhs_number={nhs_number}", headers=bearer(token))


async def test_reading_the_trail_is_itself_audited(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await _read_trail(client, identity.admin(sub="auditor-1"))
    second = await _read_trail(client, identity.admin(sub="auditor-2"))
    events = second.json()["events"]
    assert [event["actor"] for event in events] == ["auditor-1"]
    event = events[0]
    assert event["role"] == "admin"
    assert event["nhs_number"] == PATIENT
    assert event["purpose"] == "read the audit trail"
    assert event["outcome"] == "success"
    assert event["action"] == "GET /v1/audit"
    assert event["occurred_at"].endswith(("Z", "+00:00"))
    assert len(event["request_id"]) >= 8


async def test_the_request_id_in_the_event_is_the_one_the_caller_sent(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await client.get(
        f"/v1/audit?nhs_number={PATIENT}",
        headers={**bearer(identity.admin()), "X-Request-ID": "req-trace-0001"},
    )
    events = (await _read_trail(client, identity.admin())).json()["events"]
    assert events[-1]["request_id"] == "req-trace-0001"


async def test_a_refused_access_is_audited_as_denied(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    refused = await _read_trail(client, identity.consultant())
    assert refused.status_code == 403
    events = (await _read_trail(client, identity.admin())).json()["events"]
    assert events[0]["outcome"] == "denied"
    assert events[0]["role"] == "consultant"
    assert events[0]["status"] == 403


async def test_another_practice_cannot_read_the_patients_trail(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await _read_trail(client, identity.practice(ods="Z99999"))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_break_glass_reason_is_kept_with_the_event(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await client.get(
        f"/v1/audit?nhs_number={PATIENT}",
        headers={**bearer(identity.admin()), "X-Break-Glass-Reason": "investigating a complaint"},
    )
    events = (await _read_trail(client, identity.admin())).json()["events"]
    assert events[-1]["break_glass_reason"] == "investigating a complaint"


async def _chain_of(app: FastAPI, count: int, client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    for _ in range(count):
        assert (await _read_trail(client, identity.admin())).status_code == 200


async def test_an_untouched_chain_verifies(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    await _chain_of(app, 5, client, identity)
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
    assert verdict.intact, verdict.problems
    assert verdict.events == 5


async def test_the_database_refuses_to_update_or_delete_an_event(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await _chain_of(app, 1, client, identity)
    for statement in ("UPDATE audit_events SET actor = 'someone-else'", "DELETE FROM audit_events"):
        async with app.state.engine.connect() as connection:
            with pytest.raises(Exception, match="append-only"):
                await connection.execute(text(statement))


async def _without_guard(app: FastAPI, statement: str) -> None:
    """What an administrator with full rights could do: lift the trigger, change history, restore it."""
    async with app.state.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            await connection.execute(text(statement))
            await connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            await connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
            await connection.execute(text(statement))


# Moving event 2 after event 3: ids swapped through a free one, as the primary key allows no clash.
_REORDER = (
    "UPDATE audit_events SET id = 100 WHERE id = 2",
    "UPDATE audit_events SET id = 2 WHERE id = 3",
    "UPDATE audit_events SET id = 3 WHERE id = 100",
)


@pytest.mark.parametrize(
    ("statements", "findings"),
    [
        (("UPDATE audit_events SET actor = 'someone-else' WHERE id = 2",), ["event 2 was altered"]),
        (("UPDATE audit_events SET access_reason = 'made up later' WHERE id = 2",), ["event 2 was altered"]),
        (
            ("DELETE FROM audit_events WHERE id = 2",),
            ["event 3 does not follow the event before it", "records 4 events but 3 remain"],
        ),
        (
            ("DELETE FROM audit_events WHERE id = 1",),
            ["event 2 does not follow the event before it", "records 4 events but 3 remain"],
        ),
        (("DELETE FROM audit_events WHERE id = 4",), ["records 4 events but 3 remain: events were deleted"]),
        (_REORDER, ["event 2 does not follow", "event 3 does not follow", "event 4 does not follow"]),
    ],
    ids=[
        "edited",
        "flagged-afterwards",
        "deleted-in-the-middle",
        "deleted-first",
        "deleted-at-the-end",
        "reordered",
    ],
)
async def test_tampering_breaks_the_chain(
    app: FastAPI,
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    settings: Settings,
    statements: tuple[str, ...],
    findings: list[str],
) -> None:
    await _chain_of(app, 4, client, identity)
    for statement in statements:
        await _without_guard(app, statement)
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
    assert not verdict.intact
    for finding in findings:
        assert any(finding in problem for problem in verdict.problems), verdict.problems


async def test_concurrent_accesses_keep_one_unbroken_chain(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    import asyncio

    responses = await asyncio.gather(*(_read_trail(client, identity.admin()) for _ in range(12)))
    assert all(response.status_code == 200 for response in responses)
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
    assert verdict.intact, verdict.problems
    assert verdict.events == 12
