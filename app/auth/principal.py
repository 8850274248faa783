"""Who is calling: the principal a verified token describes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    CONSULTANT = "consultant"
    GP = "gp"
    GP_SYSTEM = "gp-system"
    ADMIN = "admin"


PRACTICE_ROLES = frozenset({Role.GP, Role.GP_SYSTEM})


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
        return cls(sub=sub, role=role, name=_optional_text(claims, "name"), specialty=specialty, ods=ods)


def _optional_text(claims: dict[str, Any], key: str) -> str | None:
    value = claims.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidClaims(f"the token's {key} claim must be text")
    return value
