"""openapi/openapi.json is the app's own schema; a stale export fails here and in `openapi --check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.openapi_export import current_spec, spec_file_is_current

ROOT = Path(__file__).parents[1]


def test_the_exported_spec_matches_the_app() -> None:
    assert spec_file_is_current(ROOT / "openapi" / "openapi.json"), "run `make openapi`"


def test_the_check_command_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(current_spec().replace("Virtual Clinic", "Old Clinic"))
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "openapi", "--check", "--file", str(stale)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "stale" in result.stderr
