"""Practices files for tests that point the app at GP servers running on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def practices_file(
    directory: Path,
    *,
    base_url: str,
    patients: dict[str, str],
    ods: str = "A11111",
    timeout_seconds: float = 5.0,
    attempts: int | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    registrations = "\n".join(f'"{nhs}" = "{practice}"' for nhs, practice in patients.items())
    path = directory / "practices.toml"
    path.write_text(
        f"""
[practices.{ods}]
name = "Test Practice {ods}"
adapter = "fhir-r4"
base_url = "{base_url}"
delivery = "feed"
timeout_seconds = {timeout_seconds}
{"" if attempts is None else f"attempts = {attempts}"}

[directory]
adapter = "static"

[directory.patients]
{registrations}
"""
    )
    return path


def practices_file_for(
    directory: Path,
    *,
    practices: Mapping[str, str],
    patients: Mapping[str, str],
    timeout_seconds: float = 5.0,
    max_concurrent_requests: int = 8,
    patients_per_search: int = 10,
) -> Path:
    """Several practices (ODS code → FHIR base URL) and a static directory placing each patient at one."""
    directory.mkdir(parents=True, exist_ok=True)
    sections = [
        f"""
[practices.{ods}]
name = "Test Practice {ods}"
adapter = "fhir-r4"
base_url = "{base_url}"
delivery = "feed"
timeout_seconds = {timeout_seconds}
max_concurrent_requests = {max_concurrent_requests}
patients_per_search = {patients_per_search}
"""
        for ods, base_url in practices.items()
    ]
    registrations = "\n".join(f'"{nhs}" = "{practice}"' for nhs, practice in patients.items())
    path = directory / "practices.toml"
    path.write_text(
        "".join(sections) + f'\n[directory]\nadapter = "static"\n\n[directory.patients]\n{registrations}\n'
    )
    return path
