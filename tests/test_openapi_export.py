"""openapi/openapi.json is the app's own schema; a stale export fails here and in `openapi --check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.openapi_export import current_spec, spec_file_is_current

ROOT = Path(__file__).parents[1]


def test_the_exported_spec_matches_the_app() -> None:
    assert spec_file_is_current(ROOT / "openapi" / "openapi.json"), "run `make openapi`"


def test_the_check_command_fails_on_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(current_spec().replace("Virtual Clinic", "Old Clinic"))
    assert main(["openapi", "--check", "--file", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err


def test_the_check_command_passes_on_a_current_file(tmp_path: Path) -> None:
    current = tmp_path / "openapi.json"
    current.write_text(current_spec())
    assert main(["openapi", "--check", "--file", str(current)]) == 0
