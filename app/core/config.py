"""One settings object for the service, read from ``VCLINIC_``-prefixed environment variables."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - the known default that is refused outside dev mode
DEV_ISSUER = "vclinic-dev"
DEV_AUDIENCE = "vclinic"
# A browser's Origin header as it serialises one: scheme, host and an optional port; no path, no slash.
_ORIGIN = re.compile(r"^https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VCLINIC_", extra="ignore", frozen=True)

    dev_mode: bool = False
    database_url: str = "sqlite+aiosqlite:///./var/vclinic.db"
    var_dir: Path = Path("./var")
    practices_file: Path | None = None

    jwks: str | None = Field(default=None, description="A file path or an https URL of the trusted JWKS")
    jwt_issuer: str = DEV_ISSUER
    jwt_audience: str = DEV_AUDIENCE
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    max_token_bytes: int = Field(
        default=8192,
        ge=1024,
        le=65536,
        description="A bearer token or session cookie longer than this is refused (401) before it is read",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="The service's address as callers reach it; a CDS Hooks JWT's aud is this plus the path",
    )
    cds_allowed_origins: Annotated[tuple[str, ...] | None, NoDecode] = Field(
        default=None,
        description="Web origins whose pages may call the CDS Hooks services (comma-separated); unset: none, "
        "or any loopback origin in dev mode",
    )
    cds_max_body_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="The largest CDS Hooks service call accepted, prefetch included; larger ones get 413",
    )
    jwks_refresh_seconds: int = Field(default=300, ge=1)
    jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)

    secret_key: SecretStr = SecretStr(DEV_SECRET)
    audit_key: SecretStr = SecretStr(DEV_SECRET)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    workers: int = Field(default=1, ge=1, le=64)
    gc_freeze_after_startup: bool = Field(
        default=True, description="Freeze start-up's objects out of garbage collection (core/collector.py)"
    )
    gc_young_threshold: int = Field(
        default=50_000, ge=700, le=1_000_000, description="Allocations between young garbage collections"
    )
    upstream_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    upstream_deadline_seconds: float = Field(
        default=20.0,
        gt=0,
        le=300,
        description="All upstream work behind one summary, worklist or letter, retries and pages included",
    )
    record_history_years: int = Field(
        default=20, ge=20, le=100, description="How far back the kidney history is read from the GP record"
    )

    outbox_dispatcher_enabled: bool = Field(
        default=True, description="Deliver advice from inside the web process; off when `vclinic worker` runs"
    )
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=300)
    outbox_batch_size: int = Field(default=10, ge=1, le=200)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    outbox_backoff_base_seconds: float = Field(default=30.0, gt=0)
    outbox_backoff_cap_seconds: float = Field(default=1800.0, gt=0)
    outbox_lease_seconds: float = Field(
        default=120.0, gt=0, description="How long a claimed delivery is ours before another worker may try"
    )
    outbox_mesh_poll_seconds: float = Field(default=60.0, gt=0, le=3600)

    case_finding_run_ceiling_seconds: float = Field(
        default=3600.0, gt=0, description="How long one case-finding run may take, export and rules included"
    )
    case_finding_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a claimed run is a worker's without a word before another resumes it",
    )
    case_finding_max_leases: int = Field(
        default=3, ge=1, le=20, description="Claims of one run whose worker died before it fails for good"
    )
    case_finding_poll_seconds: float = Field(default=5.0, gt=0, le=300)
    case_finding_progress_every: int = Field(
        default=200, ge=1, description="Patients between the run's progress commits"
    )
    case_finding_processes: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Processes a run's patients are examined in: 0 for one per core, 1 for the worker's own",
    )
    case_finding_pool_from: int = Field(
        default=3000,
        ge=1,
        description="Patients from which a full run examines them in several processes (below it, starting a"
        " pool costs a worker's first run more than it saves)",
    )
    case_finding_schedule_day: int | None = Field(
        default=None,
        ge=1,
        le=28,
        description="Day of the month the worker queues a run per practice with case_finding and specialty",
    )
    case_finding_full_every: int = Field(
        default=6,
        ge=1,
        description="Every Nth completed run of a practice and specialty reads the whole population (1: all)",
    )
    case_finding_full_after_days: int = Field(
        default=90,
        ge=1,
        description="A run reads the whole population when the last run that did is older than this",
    )

    follow_up_check_interval_seconds: float = Field(
        default=6 * 3600.0,
        ge=60,
        le=7 * 86400,
        description="How often the worker reads the record again for an open action a result can close",
    )
    follow_up_batch_size: int = Field(
        default=50, ge=1, le=1000, description="Actions one worker round checks, or notices it writes"
    )
    follow_up_lease_seconds: float = Field(
        default=300.0, gt=0, description="How long a worker's claim on an action's check keeps others off"
    )
    follow_up_poll_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How often an idle worker looks for due checks and overdue actions",
    )

    audit_sealer_enabled: bool = Field(
        default=True,
        description="Seal audit events from inside the web process; any number may run, one seals at a time",
    )
    audit_seal_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="Seconds between audit seals; the unsealed tail stays under about twice this",
    )

    clinic_practice_concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Worklist fetches (each a batch of patients) in flight at one practice",
    )
    clinic_summary_ttl_seconds: float = Field(
        default=120.0,
        ge=0,
        le=3600,
        description="How long a patient's record, once fetched, serves their worklist rows and summaries",
    )

    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="The largest request body accepted; larger ones get 413 before they are read",
    )
    attachment_max_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1024,
        le=50 * 1024 * 1024,
        description="The largest attachment (PDF, PNG or JPEG) a practice may add to an advice request",
    )
    attachment_scan_command: str | None = Field(
        default=None,
        description="A virus scanner reading the file on stdin, exit 0 clean, 1 infected (clamdscan -)",
    )
    attachment_scan_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=4096,
        description="The largest total of a request's header names and values; larger ones get 431",
    )

    @field_validator("cds_allowed_origins", mode="before")
    @classmethod
    def _origins_from_text(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("cds_allowed_origins")
    @classmethod
    def _exact_origins_only(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        # OWASP's HTML5 cheat sheet (the CDS Hooks specification's pointer for CORS): name each origin;
        # never "*", never "null" (sandboxed frames and local files all share it).
        if value is None:
            return None
        origins = tuple(origin.lower() for origin in value)
        for origin in origins:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not a web origin such as https://ehr.example (no path, no *, no null)"
                )
        return origins

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> Settings:
        if self.dev_mode:
            return self
        for name in ("secret_key", "audit_key"):
            secret: SecretStr = getattr(self, name)
            if secret.get_secret_value() == DEV_SECRET:
                raise ValueError(f"VCLINIC_{name.upper()} must be set to a real secret outside dev mode")
            if len(secret.get_secret_value()) < 32:
                raise ValueError(f"VCLINIC_{name.upper()} must be at least 32 characters")
        if not self.jwks:
            raise ValueError("VCLINIC_JWKS must name the trusted keys outside dev mode")
        if self.jwt_issuer == DEV_ISSUER:
            raise ValueError("VCLINIC_JWT_ISSUER must be set outside dev mode")
        return self

    @model_validator(mode="after")
    def _known_database(self) -> Settings:
        if not self.database_url.startswith(("sqlite+aiosqlite://", "postgresql+psycopg://")):
            raise ValueError(
                "VCLINIC_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+psycopg://"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
