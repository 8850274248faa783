"""Path and query values the routes share, each checked once, before any route or audit event uses it.

A value in a path reaches the audit event of its request, so every value that can be checked is refused
with a 422 here rather than carried, malformed or oversized, into the audit.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from schemas.nhs_number import NhsNumber

_NHS_NUMBER = "The patient's NHS number: ten digits, the last a modulus-11 check digit"

NhsNumberPath = Annotated[NhsNumber, Path(description=_NHS_NUMBER)]
NhsNumberQuery = Annotated[NhsNumber, Query(description=_NHS_NUMBER)]
SpecialtyCodePath = Annotated[
    str,
    Path(max_length=64, pattern=r"^[a-z][a-z0-9-]*$", description="A specialty code from /v1/specialties"),
]


def record_id_path(description: str) -> object:
    """An id this service gave out: letters, digits, '-' and '_', so no control character reaches a query."""
    return Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description=description)


ClinicIdPath = Annotated[str, record_id_path("The clinic's id")]
EntryIdPath = Annotated[str, record_id_path("The entry's id on the clinic's list")]
AdviceRequestIdPath = Annotated[str, record_id_path("The advice request's id")]
