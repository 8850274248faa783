"""Least privilege on the practice's pages: a GP sees and writes only their own practice's."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from app.auth.principal import Principal
from app.core.errors import Forbidden

OdsPath = Annotated[str, Path(pattern=r"^[A-Z0-9]{3,10}$", description="The practice's ODS code")]


def require_own_practice(viewer: Principal, ods: str) -> None:
    """A GP sees their own practice's page and no other's."""
    if viewer.ods != ods:
        raise Forbidden("you can see only your own practice's advice requests")
