"""Each specialty's own configuration, read once at startup into the model the specialty declares.

A specialty with a ``settings_model`` reads its fields, in rising precedence, from the practices file's
``[specialties.<code>]`` section, from any older environment names its model lists in ``LEGACY_ENVIRONMENT``
(so a setting that moved out of the core keeps working), and from ``VCLINIC_<CODE>__<FIELD>``, where
``<CODE>`` is the specialty code in capitals with ``-`` as ``_`` (``VCLINIC_NEPHROLOGY__EGFR_EQUATION``). An
invalid value stops the app at startup, naming the setting, rather than surfacing in a summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from app.specialties.base import Specialty


class SpecialtySettingsError(ValueError):
    pass


class SpecialtySettings:
    """Specialty code → its settings; a specialty without a settings model has none."""

    def __init__(self, models: Mapping[str, BaseModel]) -> None:
        self._models = MappingProxyType(dict(models))

    def of(self, code: str) -> BaseModel | None:
        return self._models.get(code)


def environment_prefix(code: str) -> str:
    return f"VCLINIC_{code.upper().replace('-', '_')}__"


def _values(
    code: str, model: type[BaseModel], environ: Mapping[str, str], section: Mapping[str, Any]
) -> dict[str, Any]:
    values = dict(section)
    legacy: Mapping[str, str] = getattr(model, "LEGACY_ENVIRONMENT", {})
    for name, field in legacy.items():
        if name in environ:
            values[field] = environ[name]
    prefix = environment_prefix(code)
    for name, value in environ.items():
        if name.upper().startswith(prefix):
            values[name[len(prefix) :].lower()] = value
    return values


def load_specialty_settings(
    specialties: Mapping[str, Specialty],
    *,
    environ: Mapping[str, str],
    sections: Mapping[str, Mapping[str, Any]],
) -> SpecialtySettings:
    """Every registered specialty's settings; raises ``SpecialtySettingsError`` naming a bad one."""
    unknown = sorted(set(sections) - set(specialties))
    if unknown:
        raise SpecialtySettingsError(f"[specialties.{unknown[0]}]: no such specialty is registered")
    models: dict[str, BaseModel] = {}
    for code, specialty in specialties.items():
        model = specialty.settings_model
        if model is None:
            continue
        try:
            models[code] = model.model_validate(_values(code, model, environ, sections.get(code, {})))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise SpecialtySettingsError(
                f"{environment_prefix(code)}{where.upper()}: {first['msg']}"
            ) from None
    return SpecialtySettings(models)
