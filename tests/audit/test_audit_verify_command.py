"""`vclinic audit verify` exits 0 on an intact log and non-zero when it is broken."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.cli import main
from app.core.config import Settings, get_settings
from tests.support.identity import IdentityProvider, bearer


async def _verify(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("VCLINIC_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VCLINIC_AUDIT_KEY", settings.audit_key.get_secret_value())
    monkeypatch.setenv("VCLINIC_DEV_MODE", "true")
    get_settings.cache_clear()
    try:
        return await asyncio.to_thread(main, ["audit", "verify"])
    finally:
        get_settings.cache_clear()


async def test_verify_passes_then_fails_after_an_edit(
    app: FastAPI,
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for _ in range(3):
        await client.get("/v1/audit?nhs_number=9434765919", headers=bearer(identity.admin()))
    assert await _verify(settings, monkeypatch) == 0
    out = capsys.readouterr().out
    assert "intact: 3 events, 0 sealed in 0 batches" in out
    assert "unsealed tail: 3 events" in out

    async with app.state.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER audit_events_no_update"))
        await connection.execute(text("UPDATE audit_events SET purpose = 'nothing to see' WHERE id = 1"))
        if connection.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    assert await _verify(settings, monkeypatch) == 1
    assert "event 1 was altered" in capsys.readouterr().err
