"""Attachments through the API: the practice sends a file, both sides read it, nobody else does; too large
is 413, the wrong type 415, an infected file 422, a scan that fails 503; a retry is answered once; audited."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from fastapi import FastAPI

from app.attachments.scanning import CommandScanner
from app.core.config import Settings
from app.main import create_app
from tests.advice.advice_calls import answered, new_key, submit, submitted
from tests.advice.practices import BOW, MILE_END_PATIENT
from tests.attachments.conftest import ATTACHMENT_MAX_BYTES
from tests.attachments.files import GIF, PDF, PNG, infected_pdf, scanner_command
from tests.support.identity import IdentityProvider, bearer


async def attach(
    client: httpx.AsyncClient,
    token: str,
    request_id: str,
    content: bytes,
    *,
    content_type: str = "application/pdf",
    key: str | None = None,
    filename: str = "letter.pdf",
) -> httpx.Response:
    return await client.post(
        f"/v1/advice-requests/{request_id}/attachments",
        params={"filename": filename},
        content=content,
        headers={**bearer(token), "Content-Type": content_type, "Idempotency-Key": key or new_key()},
    )


async def test_the_practice_attaches_a_pdf_and_both_sides_read_the_same_bytes(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    posted = await attach(client, identity.practice(), request_id, PDF, filename="eGFR letter.pdf")
    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert body["content_type"] == "application/pdf"
    assert body["size_bytes"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["filename"] == "eGFR letter.pdf"
    assert posted.headers["location"] == f"/v1/advice-requests/{request_id}/attachments/{body['id']}"

    listing = await client.get(
        f"/v1/advice-requests/{request_id}/attachments", headers=bearer(identity.consultant())
    )
    assert [item["id"] for item in listing.json()] == [body["id"]]
    for token in (identity.practice(), identity.practice(role="gp", sub="dr-shah"), identity.consultant()):
        file = await client.get(posted.headers["location"], headers=bearer(token))
        assert file.status_code == 200
        assert file.content == PDF
        assert file.headers["content-type"] == "application/pdf"
        assert file.headers["content-disposition"].startswith('attachment; filename="eGFR_letter.pdf"')


async def test_another_practice_another_specialty_and_an_admin_cannot_reach_the_file(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    location = (await attach(client, identity.practice(), request_id, PDF)).headers["location"]
    other_practice = identity.practice(BOW, sub="bow-system")
    assert (await client.get(location, headers=bearer(other_practice))).status_code == 404
    assert (await attach(client, other_practice, request_id, PDF)).status_code == 404
    other_specialty = identity.consultant(specialty="diabetes", sub="dr-diabetes")
    assert (await client.get(location, headers=bearer(other_specialty))).status_code == 404
    assert (await client.get(location, headers=bearer(identity.admin()))).status_code == 403
    assert (await attach(client, identity.consultant(), request_id, PDF)).status_code == 403


async def test_a_file_over_the_bound_is_413_and_one_of_another_type_415(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    too_large = PDF + bytes(ATTACHMENT_MAX_BYTES)
    assert (await attach(client, identity.practice(), request_id, too_large)).status_code == 413
    gif = await attach(client, identity.practice(), request_id, GIF, content_type="image/gif")
    assert gif.status_code == 415
    assert gif.headers["content-type"] == "application/problem+json"
    misnamed = await attach(client, identity.practice(), request_id, PNG, content_type="application/pdf")
    assert misnamed.status_code == 415
    assert "its content is image/png" in misnamed.json()["detail"]
    listing = await client.get(
        f"/v1/advice-requests/{request_id}/attachments", headers=bearer(identity.practice())
    )
    assert listing.json() == []


async def test_a_retry_with_the_same_key_is_answered_once_and_a_different_file_under_it_refused(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    key = new_key()
    first = await attach(client, identity.practice(), request_id, PDF, key=key)
    again = await attach(client, identity.practice(), request_id, PDF, key=key)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await attach(client, identity.practice(), request_id, PNG, key=key, content_type="image/png")
    assert other.status_code == 422
    listing = await client.get(
        f"/v1/advice-requests/{request_id}/attachments", headers=bearer(identity.practice())
    )
    assert len(listing.json()) == 1


async def test_an_infected_file_is_refused_and_a_failing_scan_refuses_too(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, tmp_path: Path
) -> None:
    app.state.virus_scanner = CommandScanner(scanner_command(tmp_path), timeout_seconds=5.0)
    request_id = await submitted(client, identity.practice())
    infected = await attach(client, identity.practice(), request_id, infected_pdf())
    assert infected.status_code == 422
    assert infected.json()["detail"] == "the virus scan found the file infected; it was not attached"
    failed = await attach(client, identity.practice(), request_id, PDF + b"BREAK")
    assert failed.status_code == 503
    assert "could not be checked for viruses" in failed.json()["detail"]
    assert (await attach(client, identity.practice(), request_id, PDF)).status_code == 201
    listing = await client.get(
        f"/v1/advice-requests/{request_id}/attachments", headers=bearer(identity.practice())
    )
    assert len(listing.json()) == 1


async def test_files_are_attached_before_the_advice_not_after(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    await answered(client, identity.consultant(), request_id)
    late = await attach(client, identity.practice(), request_id, PDF)
    assert late.status_code == 409


async def test_attaching_and_reading_are_audited_against_the_patient_without_the_file_name(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    location = (await attach(client, identity.practice(), request_id, PDF, filename="Walsh.pdf")).headers[
        "location"
    ]
    await client.get(location, headers=bearer(identity.consultant()))
    await attach(client, identity.practice(), request_id, GIF, content_type="image/gif")
    audit = await client.get(f"/v1/audit?nhs_number={MILE_END_PATIENT}", headers=bearer(identity.admin()))
    events = [(e["purpose"], e["outcome"]) for e in audit.json()["events"]]
    assert ("attach a file to an advice request", "success") in events
    assert ("attach a file to an advice request", "failed") in events
    assert ("read an advice request's attachment", "success") in events
    assert "Walsh" not in audit.text


async def test_an_upload_may_be_larger_than_other_bodies_up_to_the_attachment_bound(
    settings: Settings, identity: IdentityProvider
) -> None:
    small_bodies = create_app(settings.model_copy(update={"max_body_bytes": 1024}))
    async with (
        small_bodies.router.lifespan_context(small_bodies),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=small_bodies), base_url="http://testserver"
        ) as http,
    ):
        request_id = await submitted(http, identity.practice())
        four_kib = PDF + bytes(4096)
        assert (await attach(http, identity.practice(), request_id, four_kib)).status_code == 201
        padded_question = await submit(http, identity.practice(), question="x" * 4096)
        assert padded_question.status_code == 413
