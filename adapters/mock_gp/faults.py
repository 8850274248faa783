"""Faults the mock GP can inject, set when it starts and changed while it runs (``POST /_faults``)."""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import orjson

FAULTS_ENV = "VCLINIC_MOCK_GP_FAULTS"


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """What goes wrong, and how often. Counts apply to the next N FHIR requests, then the fault stops.

    - ``latency_ms``: added before every FHIR answer.
    - ``error_rate`` / ``error_count``: answer ``error_status`` to that fraction of requests / the next N.
    - ``rate_limit_count``: answer 429 with ``Retry-After: retry_after_s`` to the next N.
    - ``malformed_count`` / ``truncated_count``: the next N answers are not JSON / are cut in half (a complete
      HTTP message whose body ends mid-document, as from a proxy that gave up).
    - ``endless_next``: every search page links to a further one, for ever.
    - ``resource_types``: limit the faults other than latency to requests for these types (empty: all).
    - ``seed``: makes ``error_rate`` reproducible.

    ``$export`` (``adapters/mock_gp/bulk.py``), whatever ``resource_types`` says:

    - ``export_polls``: the job answers 202 (``Retry-After: retry_after_s``, ``X-Progress``) this many times
      before its manifest; while it runs, another kick-off gets 429, as a server running one export at a time.
    - ``export_busy_count``: the next N kick-offs answer 429 with ``Retry-After: retry_after_s``.
    - ``export_fails``: the job fails: its status answers 500 with an OperationOutcome.
    - ``export_expired``: the manifest's files answer 404, as once the server has dropped them.
    - ``export_truncated``: each file's last line is cut in half, with no newline after it.
    - ``export_error_file`` / ``export_warning_file``: the manifest lists an ``error`` file holding an
      OperationOutcome of severity error (a resource not exported) / warning.
    - ``export_access_token``: when set, the manifest sets ``requiresAccessToken`` and files are served only
      with ``Authorization: Bearer <it>``.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    error_count: int = 0
    error_status: int = 503
    rate_limit_count: int = 0
    retry_after_s: int = 1
    malformed_count: int = 0
    truncated_count: int = 0
    endless_next: bool = False
    resource_types: tuple[str, ...] = ()
    seed: int = 0
    export_polls: int = 0
    export_busy_count: int = 0
    export_fails: bool = False
    export_expired: bool = False
    export_truncated: bool = False
    export_error_file: bool = False
    export_warning_file: bool = False
    export_access_token: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FaultConfig:
        """From JSON-like data; ValueError names an unknown key or a value of the wrong type."""
        unknown = set(data) - {field.name for field in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        defaults = cls()
        return cls(**{name: _checked(name, value, getattr(defaults, name)) for name, value in data.items()})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> FaultConfig:
        """From ``VCLINIC_MOCK_GP_FAULTS`` (a JSON object), or no faults when it is unset."""
        text = environ.get(FAULTS_ENV)
        if not text:
            return cls()
        data = orjson.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"{FAULTS_ENV} must be a JSON object")
        return cls.from_mapping(data)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _checked(name: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a whole number, 0 or more")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be a number from 0 to 1")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string")
        return value
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} must be a list of resource types")
    return tuple(value)


class FaultState:
    """A ``FaultConfig`` in play: its counts go down as faults are served."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)  # noqa: S311 - reproducible faults, not secrets
        self._remaining = {
            "error_count": config.error_count,
            "rate_limit_count": config.rate_limit_count,
            "malformed_count": config.malformed_count,
            "truncated_count": config.truncated_count,
            "export_busy_count": config.export_busy_count,
        }

    def applies_to(self, resource_type: str | None) -> bool:
        types = self.config.resource_types
        return not types or resource_type in types

    def take(self, count_name: str) -> bool:
        """Whether the fault counted by ``count_name`` hits this request (using one up when it does)."""
        if self._remaining[count_name] <= 0:
            return False
        self._remaining[count_name] -= 1
        return True

    def random_error(self) -> bool:
        return self.config.error_rate > 0 and self._random.random() < self.config.error_rate

    def describe(self) -> dict[str, Any]:
        return {"config": self.config.as_dict(), "remaining": dict(self._remaining)}
