"""`vclinic audit verify` exits 0 on an intact chain and non-zero when it is broken."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from app.core.config import Settings
from tests.support.identity import IdentityProvider, bearer


def _verify(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "VCLINIC_DATABASE_URL": settings.database_url,
        "VCLINIC_AUDIT_KEY": settings.audit_key.get_secret_value(),
        "VCLINIC_DEV_MODE": "true",
        "VCLINIC_VAR_DIR": str(settings.var_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).parents[2],
    )


async def test_verify_passes_then_fails_after_an_edit(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    for _ in range(3):
        await client.get("/v1/audit?nhs_number=9434765919", headers=bearer(identity.admin()))
    intact = _verify(settings)
    assert intact.returncode == 0, intact.stderr
    assert "intact: 3 events" in intact.stdout

    async with app.state.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER audit_events_no_update"))
        await connection.execute(text("UPDATE audit_events SET purpose = 'nothing to see' WHERE id = 1"))
    broken = _verify(settings)
    assert broken.returncode == 1
    assert "event 1 was altered" in broken.stderr
