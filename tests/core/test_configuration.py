"""Invalid configuration stops the service at start-up with a message naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings

ROOT = Path(__file__).parents[2]
STRONG = "a-real-secret-that-is-long-enough-for-production"


def _production(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "dev_mode": False,
        "secret_key": STRONG,
        "audit_key": STRONG,
        "jwks": "/etc/vclinic/jwks.json",
        "jwt_issuer": "https://login.nhs.example",
    }
    values.update(overrides)
    return values


def test_production_settings_with_real_secrets_are_accepted() -> None:
    assert Settings(**_production()).dev_mode is False  # type: ignore[arg-type]


@pytest.mark.parametrize("setting", ["secret_key", "audit_key"])
def test_the_default_secret_is_refused_outside_dev_mode(setting: str) -> None:
    values = _production()
    values.pop(setting)
    with pytest.raises(ValidationError, match=f"VCLINIC_{setting.upper()}"):
        Settings(**values)  # type: ignore[arg-type]


def test_a_short_secret_is_refused_outside_dev_mode() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(**_production(secret_key="short"))  # type: ignore[arg-type]


def test_keys_are_required_outside_dev_mode() -> None:
    with pytest.raises(ValidationError, match="VCLINIC_JWKS"):
        Settings(**_production(jwks=None))  # type: ignore[arg-type]


def test_dev_mode_accepts_the_defaults() -> None:
    assert Settings(dev_mode=True).secret_key.get_secret_value()


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("VCLINIC_")}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "0"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def test_the_service_refuses_to_start_with_an_unknown_database() -> None:
    result = _start({"VCLINIC_DEV_MODE": "true", "VCLINIC_DATABASE_URL": "mysql://localhost/x"})
    assert result.returncode == 2
    assert "configuration error" in result.stderr
    assert "VCLINIC_DATABASE_URL" in result.stderr


def test_the_service_refuses_to_start_with_a_bad_number() -> None:
    result = _start({"VCLINIC_DEV_MODE": "true", "VCLINIC_WORKERS": "many"})
    assert result.returncode == 2
    assert "VCLINIC_WORKERS" in result.stderr


def test_the_service_refuses_to_start_in_production_with_default_secrets() -> None:
    result = _start({"VCLINIC_JWKS": "/etc/jwks.json", "VCLINIC_JWT_ISSUER": "https://idp.example"})
    assert result.returncode == 2
    assert "VCLINIC_SECRET_KEY" in result.stderr


def test_the_service_refuses_to_start_with_a_broken_practices_file(tmp_path: Path) -> None:
    practices = tmp_path / "practices.toml"
    practices.write_text('[practices.A12345]\nname = "Mile End"\nadapter = "fhir-r4"\n')
    result = _start({"VCLINIC_DEV_MODE": "true", "VCLINIC_PRACTICES_FILE": str(practices)})
    assert result.returncode == 2
    assert "VCLINIC_PRACTICES_FILE" in result.stderr
    assert "base_url" in result.stderr
