"""``[referrals]`` in the practices file: optional, checked when the file is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.records.practices import PracticesFileError, load_practices_file

PRACTICE = """
[practices.A12345]
name = "Mile End Surgery"
adapter = "demo"
"""


def test_without_a_referrals_section_there_is_no_endpoint_and_referrals_are_held(tmp_path: Path) -> None:
    loaded = load_practices_file(_write(tmp_path, ""))
    assert loaded.referrals.endpoint is None


def test_the_section_names_the_endpoint_target_and_an_optional_token(tmp_path: Path) -> None:
    loaded = load_practices_file(
        _write(
            tmp_path,
            """
[referrals]
endpoint = "https://bars.example/receiver"
target_identifier = "2000070001"
bearer_token = "s3cret"
""",
        )
    )
    assert loaded.referrals.endpoint == "https://bars.example/receiver"
    assert loaded.referrals.target_identifier == "2000070001"
    assert loaded.referrals.bearer_token is not None
    assert "s3cret" not in repr(loaded.referrals)


@pytest.mark.parametrize("line", ['endpoint = "bars.example"', 'unknown = "x"', "timeout_seconds = 0"])
def test_a_wrong_referrals_section_is_refused_when_the_file_is_read(tmp_path: Path, line: str) -> None:
    with pytest.raises(PracticesFileError, match="referrals"):
        load_practices_file(_write(tmp_path, f"[referrals]\n{line}\n"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "practices.toml"
    path.write_text(PRACTICE + text, encoding="utf-8")
    return path
