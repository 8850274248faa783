"""Invalid configuration stops the service at start-up with a message naming the setting."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.cli import main
from app.core.config import Settings, get_settings

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


@dataclass
class StartAttempt:
    returncode: int
    stderr: str


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., StartAttempt]:
    """`vclinic serve` in-process with the given environment; configuration errors stop it before serving."""

    def attempt(env: dict[str, str]) -> StartAttempt:
        for key in [key for key in os.environ if key.startswith("VCLINIC_")]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        try:
            with pytest.raises(SystemExit) as stopped:
                main(["serve", "--port", "0"])
        finally:
            get_settings.cache_clear()
        return StartAttempt(int(stopped.value.code or 0), capsys.readouterr().err)

    return attempt


def test_the_service_refuses_to_start_with_an_unknown_database(start: Callable[..., StartAttempt]) -> None:
    result = start({"VCLINIC_DEV_MODE": "true", "VCLINIC_DATABASE_URL": "mysql://localhost/x"})
    assert result.returncode == 2
    assert "configuration error" in result.stderr
    assert "VCLINIC_DATABASE_URL" in result.stderr


def test_the_service_refuses_to_start_with_a_bad_number(start: Callable[..., StartAttempt]) -> None:
    result = start({"VCLINIC_DEV_MODE": "true", "VCLINIC_WORKERS": "many"})
    assert result.returncode == 2
    assert "VCLINIC_WORKERS" in result.stderr


def test_the_service_refuses_to_start_in_production_with_default_secrets(
    start: Callable[..., StartAttempt],
) -> None:
    result = start({"VCLINIC_JWKS": "/etc/jwks.json", "VCLINIC_JWT_ISSUER": "https://idp.example"})
    assert result.returncode == 2
    assert "VCLINIC_SECRET_KEY" in result.stderr


def test_the_service_refuses_to_start_with_a_broken_practices_file(
    tmp_path: Path, start: Callable[..., StartAttempt]
) -> None:
    practices = tmp_path / "practices.toml"
    practices.write_text('[practices.A12345]\nname = "Mile End"\nadapter = "fhir-r4"\n')
    result = start({"VCLINIC_DEV_MODE": "true", "VCLINIC_PRACTICES_FILE": str(practices)})
    assert result.returncode == 2
    assert "VCLINIC_PRACTICES_FILE" in result.stderr
    assert "base_url" in result.stderr
