"""The practices file (``VCLINIC_PRACTICES_FILE``): which GP systems we read and how advice reaches them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")


class PracticeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    adapter: Literal["fhir-r4", "gp-connect", "demo"]
    base_url: str | None = None
    nhs_number_system: str = "https://fhir.nhs.uk/Id/nhs-number"
    delivery: Literal["mesh", "fhir-r4", "feed"] = "feed"
    delivery_url: str | None = Field(
        default=None, description="FHIR endpoint for pushed advice; base_url if unset"
    )
    mesh_mailbox: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="tries of each search of the practice's system, the first included; retries back off "
        "with full jitter, all within the upstream deadline",
    )
    max_concurrent_requests: int = Field(default=16, ge=1, le=64)
    patients_per_search: int = Field(
        default=10,
        ge=1,
        le=50,
        description="fhir-r4: patients one search may name (patient=a,b,…); 1 if the server cannot OR them",
    )
    case_finding: bool = Field(
        default=False, description="the practice has agreed to searches across its whole population"
    )
    bulk_base_url: str | None = Field(
        default=None, description="FHIR Bulk Data ($export) endpoint, e.g. an ICB platform; base_url if unset"
    )
    group_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9\-.]{1,64}$",
        description="export Group/{group_id} (the practice list) rather than every Patient; a FHIR id",
    )
    bulk_type_filter: bool = Field(
        default=False,
        description="narrow exports with _typeFilter, one code per export round (adapters/bulk/filters.py)",
    )

    @model_validator(mode="after")
    def _complete(self) -> PracticeConfig:
        if self.adapter != "demo" and not self.base_url:
            raise ValueError(f"adapter {self.adapter} needs base_url")
        if self.delivery == "mesh" and not self.mesh_mailbox:
            raise ValueError("delivery = mesh needs mesh_mailbox")
        if self.delivery == "fhir-r4" and not (self.delivery_url or self.base_url):
            raise ValueError("delivery = fhir-r4 needs delivery_url or base_url")
        if self.case_finding and self.adapter != "demo" and not (self.bulk_base_url or self.base_url):
            raise ValueError("case_finding needs bulk_base_url or base_url")
        return self

    @property
    def bulk_url(self) -> str | None:
        """Where the practice's population is exported from: ``bulk_base_url``, else ``base_url``."""
        return self.bulk_base_url or self.base_url


class MeshConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str
    mailbox: str
    password: SecretStr
    shared_key: SecretStr
    verify: bool | str = True
    client_cert: Path | None = None
    client_key: Path | None = None
    workflow_id: str = "GPCONNECT_SEND_DOCUMENT"
    sender_ods: str = "RKEVC"
    sender_name: str = "Virtual Clinic"
    sender_telephone: str | None = Field(default=None, description="The team's number, printed on letters")


class ReferralsConfig(BaseModel):
    """``[referrals]``: where converted advice requests go as BaRS referral messages (docs/referrals.md).

    ``endpoint`` is the receiver's (or the BaRS proxy's) base URL; the message is POSTed to
    ``{endpoint}/$process-message``. Without ``endpoint`` conversions are recorded and their referrals held.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str | None = Field(default=None, pattern=r"^https?://")
    target_identifier: str = Field(
        default="e-RS", min_length=1, description="NHSD-Target-Identifier's value (the broker's service id)"
    )
    target_identifier_system: str = "https://fhir.nhs.uk/Id/dos-service-id"
    source_endpoint: str = Field(
        default="https://fhir.nhs.uk/Id/dos-service-id|vclinic",
        description="MessageHeader.source.endpoint: system|service-id of this service",
    )
    destination_endpoint: str = Field(
        default="https://fhir.nhs.uk/Id/dos-service-id|e-RS",
        description="MessageHeader.destination.endpoint: system|service-id of the receiver",
    )
    bearer_token: SecretStr | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class DirectoryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    adapter: Literal["pds", "registry", "static"] = "static"
    base_url: str | None = None
    patients: dict[str, str] = Field(default_factory=dict, description="NHS number → ODS code (static)")

    @model_validator(mode="after")
    def _complete(self) -> DirectoryConfig:
        if self.adapter == "pds" and not self.base_url:
            raise ValueError("directory adapter pds needs base_url")
        return self


class CdsClientConfig(BaseModel):
    """An EHR allowed to call the CDS Hooks services, speaking for one practice (docs/cds-hooks.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(min_length=1, max_length=500, description="the iss its JWTs carry")
    jwks: str = Field(min_length=1, description="its public keys: a JWKS file path or URL")
    ods: str = Field(pattern=ODS_CODE.pattern, description="the practice the EHR speaks for")
    jku: tuple[str, ...] = Field(default=(), description="JWK Set URLs a JWT's jku header may name")
    fhir_servers: tuple[str, ...] = Field(
        default=(), description="fhirServer base URLs it may send, beside the practice's own base_url"
    )


class PracticesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    practices: dict[str, PracticeConfig]
    mesh: MeshConfig | None = None
    referrals: ReferralsConfig = ReferralsConfig()
    # ``[specialties.<code>]``: a specialty's own settings, checked against its model at startup.
    specialties: dict[str, dict[str, str | int | float | bool]] = Field(default_factory=dict)
    directory: DirectoryConfig = DirectoryConfig()
    cds_clients: dict[str, CdsClientConfig] = Field(default_factory=dict)

    @field_validator("practices")
    @classmethod
    def _ods_codes(cls, practices: dict[str, PracticeConfig]) -> dict[str, PracticeConfig]:
        for ods in practices:
            if not ODS_CODE.match(ods):
                raise ValueError(f"{ods!r} is not an ODS code")
        return practices

    @model_validator(mode="after")
    def _mesh_when_needed(self) -> PracticesFile:
        if self.mesh is None and any(p.delivery == "mesh" for p in self.practices.values()):
            raise ValueError("a practice delivers by mesh but there is no [mesh] section")
        return self

    @model_validator(mode="after")
    def _cds_clients_speak_for_known_practices(self) -> PracticesFile:
        issuers = [client.issuer for client in self.cds_clients.values()]
        if len(set(issuers)) != len(issuers):
            raise ValueError("two cds_clients share one issuer")
        for name, client in self.cds_clients.items():
            if client.ods not in self.practices:
                raise ValueError(f"cds_clients.{name}: ods {client.ods} is not a practice in this file")
        return self


class PracticesFileError(ValueError):
    pass


def load_practices_file(path: Path) -> PracticesFile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PracticesFileError(f"VCLINIC_PRACTICES_FILE ({path}): {exc}") from None
    try:
        return PracticesFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PracticesFileError(f"VCLINIC_PRACTICES_FILE ({path}): {where}: {first['msg']}") from None
