"""Every patient-data access leaves an audit event; any edit of one, and any deletion or reordering of sealed
ones, is detected."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.audit.sealer import AuditSealer
from app.audit.service import ChainVerdict, verify_chain
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
    """What an administrator with full rights could do: lift the triggers, change history, restore them."""
    async with app.state.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for table in ("audit_events", "audit_batches"):
                await connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            await connection.execute(text(statement))
            for table in ("audit_events", "audit_batches"):
                await connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        else:
            for table in ("audit_events", "audit_batches"):
                await connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                await connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
            await connection.execute(text(statement))


async def _verdict(app: FastAPI, settings: Settings) -> ChainVerdict:
    async with app.state.session_factory() as session:
        return await verify_chain(session, settings.audit_key.get_secret_value().encode())


async def _sealed_in_two_batches(app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    """Events 1 and 2 in batch 1, events 3 and 4 in batch 2."""
    sealer: AuditSealer = app.state.audit_sealer
    for _ in range(2):
        await _chain_of(app, 2, client, identity)
        assert await sealer.seal_round() == 2


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
        (("DELETE FROM audit_events WHERE id = 2",), ["batch 1 seals 2 events but 1 remain"]),
        (("DELETE FROM audit_events WHERE id = 1",), ["batch 1 seals 2 events but 1 remain"]),
        (("DELETE FROM audit_events WHERE id = 4",), ["batch 2 seals 2 events but 1 remain"]),
        (_REORDER, ["batch 1 does not match its events", "batch 2 does not match its events"]),
        (("UPDATE audit_events SET id = 100 WHERE id = 4",), ["batch 2 seals 2 events but 1 remain"]),
        (
            ("DELETE FROM audit_events WHERE id <= 2", "DELETE FROM audit_batches WHERE id = 1"),
            ["batch 2 does not follow the batch before it"],
        ),
        (
            ("DELETE FROM audit_events WHERE id >= 3", "DELETE FROM audit_batches WHERE id = 2"),
            ["the audit head records 4 sealed events but the batches seal 2"],
        ),
        (("UPDATE audit_batches SET last_event_id = 1 WHERE id = 1",), ["batch 1 was altered"]),
    ],
    ids=[
        "edited",
        "flagged-afterwards",
        "deleted-in-the-middle",
        "deleted-first",
        "deleted-at-the-end",
        "reordered-across-batches",
        "moved-into-the-tail",
        "first-batch-deleted",
        "newest-batch-deleted",
        "batch-edited",
    ],
)
async def test_tampering_with_sealed_events_is_detected(
    app: FastAPI,
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    settings: Settings,
    statements: tuple[str, ...],
    findings: list[str],
) -> None:
    await _sealed_in_two_batches(app, client, identity)
    for statement in statements:
        await _without_guard(app, statement)
    verdict = await _verdict(app, settings)
    assert not verdict.intact
    for finding in findings:
        assert any(finding in problem for problem in verdict.problems), verdict.problems


async def test_events_swapped_within_a_batch_no_longer_match_it(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    await _sealed_in_two_batches(app, client, identity)
    for statement in (
        "UPDATE audit_events SET id = 100 WHERE id = 3",
        "UPDATE audit_events SET id = 3 WHERE id = 4",
        "UPDATE audit_events SET id = 4 WHERE id = 100",
    ):
        await _without_guard(app, statement)
    verdict = await _verdict(app, settings)
    assert verdict.problems == ["batch 2 does not match its events: events were reordered or replaced"]


async def test_an_edited_unsealed_event_is_detected_and_the_tail_reported(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    await _sealed_in_two_batches(app, client, identity)
    await _chain_of(app, 2, client, identity)
    untouched = await _verdict(app, settings)
    assert untouched.intact, untouched.problems
    assert (untouched.events, untouched.batches, untouched.unsealed) == (6, 2, 2)
    assert untouched.oldest_unsealed_at is not None
    await _without_guard(app, "UPDATE audit_events SET purpose = 'nothing to see' WHERE id = 6")
    assert (await _verdict(app, settings)).problems == ["event 6 was altered after it was written"]


async def test_a_sealed_batch_is_append_only(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await _sealed_in_two_batches(app, client, identity)
    for statement in ("UPDATE audit_batches SET event_count = 1", "DELETE FROM audit_batches"):
        async with app.state.engine.connect() as connection:
            with pytest.raises(Exception, match="append-only"):
                await connection.execute(text(statement))


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
    assert await app.state.audit_sealer.seal_round() == 12
    assert (await _verdict(app, settings)).unsealed == 0


async def _head_row(app: FastAPI) -> dict[str, object]:
    async with app.state.engine.connect() as connection:
        found = await connection.execute(text("SELECT length, last_hash, signature FROM audit_chain_head"))
        row = found.one()
    return dict(row._mapping)


async def _set_head(app: FastAPI, head: dict[str, object]) -> None:
    async with app.state.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE audit_chain_head SET length = :length, last_hash = :last_hash, signature = :signature"
            ),
            head,
        )


async def test_a_batch_sealed_while_the_walk_runs_is_no_finding(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    sealer: AuditSealer = app.state.audit_sealer
    await _chain_of(app, 2, client, identity)
    assert await sealer.seal_round() == 2
    head_before = await _head_row(app)
    await _chain_of(app, 2, client, identity)
    await sealer.seal_round()
    head_after = await _head_row(app)
    # The walk reads the head as it stood before the second seal committed, and again once it has.
    await _set_head(app, head_before)
    reads = iter([head_before, head_after])
    async with app.state.session_factory() as session:
        real_execute = session.execute

        async def execute(statement: object, *args: object, **kwargs: object) -> object:
            if "audit_chain_head" in str(statement):
                await _set_head(app, next(reads, head_after))
            return await real_execute(statement, *args, **kwargs)  # type: ignore[arg-type]

        session.execute = execute  # type: ignore[method-assign]
        verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
    assert verdict.intact, verdict.problems


async def test_a_head_rolled_back_behind_its_batches_is_detected(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    sealer: AuditSealer = app.state.audit_sealer
    await _chain_of(app, 2, client, identity)
    assert await sealer.seal_round() == 2
    head_before = await _head_row(app)
    await _chain_of(app, 2, client, identity)
    await sealer.seal_round()
    await _set_head(app, head_before)
    verdict = await _verdict(app, settings)
    assert not verdict.intact
    assert any("the head was rolled back" in problem for problem in verdict.problems)
