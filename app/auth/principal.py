"""Who is calling: the principal a verified token describes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    CONSULTANT = "consultant"
    GP = "gp"
    GP_SYSTEM = "gp-system"
    ADMIN = "admin"


PRACTICE_ROLES = frozenset({Role.GP, Role.GP_SYSTEM})

# Each claim the service keeps is bounded to fit where it is written, so a signed but oversized claim is a 401
# here and never a failed audit write later: the audit actor column and every author column hold 200.
# OpenID Connect Core §5.1 makes `sub` at most 255 ASCII characters; this keeps the visible ones, up to 200.
SUBJECT = re.compile(r"[\x21-\x7e]{1,200}")
NAME_MAX_LENGTH = 200
# A specialty is a lower-case slug, as the specialty registry's codes are; the audit column holds 64.
SPECIALTY = re.compile(r"[a-z][a-z0-9-]{0,63}")
# An ODS organisation code, as the practices file and the feed's path accept; practice columns hold 10.
ODS_CODE = re.compile(r"[A-Z0-9]{3,10}")


class InvalidClaims(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    role: Role
    name: str | None = None
    specialty: str | None = None
    ods: str | None = None

    @property
    def organisation(self) -> str | None:
        return self.ods

    @property
    def is_practice(self) -> bool:
        return self.role in PRACTICE_ROLES

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidClaims("the token has no subject")
        if not SUBJECT.fullmatch(sub):
            raise InvalidClaims("the token's subject must be 1 to 200 visible ASCII characters")
        raw_role = claims.get("role")
        if not isinstance(raw_role, str):
            raise InvalidClaims("the token has no role claim")
        try:
            role = Role(raw_role)
        except ValueError:
            raise InvalidClaims("the token's role is not one this service knows") from None
        specialty = _optional_text(claims, "specialty")
        ods = _optional_text(claims, "ods")
        if role is Role.CONSULTANT and not specialty:
            raise InvalidClaims("a consultant's token must name a specialty")
        if role in PRACTICE_ROLES and not ods:
            raise InvalidClaims("a practice token must carry the practice's ODS code")
        if specialty is not None and not SPECIALTY.fullmatch(specialty):
            raise InvalidClaims("the token's specialty must be a lower-case code of at most 64 characters")
        if ods is not None and not ODS_CODE.fullmatch(ods):
            raise InvalidClaims("the token's ods claim must be an ODS code of 3 to 10 capitals or digits")
        return cls(sub=sub, role=role, name=_checked_name(claims), specialty=specialty, ods=ods)


def _optional_text(claims: dict[str, Any], key: str) -> str | None:
    value = claims.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidClaims(f"the token's {key} claim must be text")
    return value


def _checked_name(claims: dict[str, Any]) -> str | None:
    name = _optional_text(claims, "name")
    if name is not None and not (0 < len(name) <= NAME_MAX_LENGTH and name.isprintable()):
        raise InvalidClaims(f"the token's name must be 1 to {NAME_MAX_LENGTH} printable characters")
    return name
