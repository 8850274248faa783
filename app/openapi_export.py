"""The exported OpenAPI document, and the check that keeps ``openapi/openapi.json`` in step with the app."""

from __future__ import annotations

from pathlib import Path

import orjson

from app.core.config import Settings
from app.main import create_app

_EXPORT_SETTINGS = Settings(dev_mode=True, var_dir=Path("/nonexistent-openapi-export"))


def current_spec() -> str:
    spec = create_app(_EXPORT_SETTINGS).openapi()
    return orjson.dumps(spec, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def spec_file_is_current(path: Path) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == current_spec()
