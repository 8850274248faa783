"""`vclinic token` signs with the key in the configured data directory, wherever it is run from, and a start
without the production settings says how to start in dev mode."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from jose import jwt

from app.auth.dev_keys import dev_jwks_path, dev_key_directory, ensure_dev_key
from app.cli import main
from app.core.config import Settings, get_settings


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Only the VCLINIC_ settings a test sets, read afresh by every command."""
    for key in [key for key in os.environ if key.startswith("VCLINIC_")]:
        monkeypatch.delenv(key)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _kid_of(token: str) -> str:
    kid: str = jwt.get_unverified_header(token)["kid"]
    return kid


def test_the_dev_key_lives_in_the_absolute_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(dev_mode=True, var_dir=Path("data"))
    ensure_dev_key(settings)
    assert dev_key_directory(settings) == tmp_path / "data"
    assert dev_jwks_path(settings).is_absolute()


def test_a_token_minted_from_another_directory_uses_the_services_key(
    tmp_path: Path, environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service_data = tmp_path / "service" / "var"
    _pem, service_kid = ensure_dev_key(Settings(dev_mode=True, var_dir=service_data))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment.chdir(elsewhere)
    environment.setenv("VCLINIC_DEV_MODE", "true")
    environment.setenv("VCLINIC_VAR_DIR", str(service_data))

    assert main(["token", "--role", "admin", "--sub", "ops-1"]) == 0

    assert _kid_of(capsys.readouterr().out.strip()) == service_kid
    assert not (elsewhere / "var").exists()


def test_no_key_is_made_where_the_service_has_none(
    tmp_path: Path, environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.chdir(tmp_path)
    environment.setenv("VCLINIC_DEV_MODE", "true")

    with pytest.raises(SystemExit) as stopped:
        main(["token", "--role", "admin"])

    assert stopped.value.code == 2
    stderr = capsys.readouterr().err
    assert f"no development key in {tmp_path / 'var'}" in stderr
    assert "VCLINIC_VAR_DIR" in stderr
    assert not (tmp_path / "var").exists()


def test_starting_without_dev_mode_or_production_settings_says_how_to_start_in_dev_mode(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", "0"])

    assert stopped.value.code == 2
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    assert "VCLINIC_DEV_MODE=true" in stderr
    assert "make run" in stderr


def test_a_setting_dev_mode_cannot_mend_gets_no_dev_mode_hint(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("VCLINIC_WORKERS", "many")
    with pytest.raises(SystemExit):
        main(["serve", "--port", "0"])
    stderr = capsys.readouterr().err
    assert "VCLINIC_WORKERS" in stderr
    assert "VCLINIC_DEV_MODE=true" not in stderr
