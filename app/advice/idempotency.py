"""Idempotent writes: a retried POST with the same ``Idempotency-Key`` gets the first response again.

A key belongs to one principal (the token's subject) and one request: the same key with a different route or
body is refused with 422 rather than silently answered with the first request's response. Only successful
responses are kept; a refused write leaves nothing behind, so the caller can correct it and retry with the
same key. Concurrent duplicates race to insert the key: the unique constraint lets exactly one win, and the
losers roll back their work and answer with the winner's response.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.advice.models import IdempotencyKey
from app.advice.service import utcnow
from app.core.deps import PrincipalDep
from app.core.errors import ProblemError, Unprocessable

REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 200


class IdempotencyKeyRequired(ProblemError):
    status, title, kind = 400, "Idempotency-Key required", "idempotency-key-required"


@dataclass(frozen=True, slots=True)
class IdempotentWrite:
    principal: str
    key: str
    route: str
    request_hash: str


def _fingerprint(body: bytes) -> str:
    """The body's hash, after canonical re-encoding of JSON so key order and spacing do not count."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):  # the encoder stops at 255 levels of nesting
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def _parsed_key(raw: str | None) -> str:
    if raw is None:
        raise IdempotencyKeyRequired(
            "the Idempotency-Key header is required on this request: send a new unique value (a UUID) "
            "for each write, and the same value when retrying it"
        )
    # The IETF draft sends the key as a quoted structured-field string; plain tokens are common too.
    key = raw.strip().removeprefix('"').removesuffix('"')
    if not key or len(key) > KEY_MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise IdempotencyKeyRequired(
            f"the Idempotency-Key must be 1 to {KEY_MAX_LENGTH} printable ASCII characters"
        )
    return key


# Declared by hand on each write (``openapi_extra``): a header FastAPI itself required would be refused
# with a bare validation error, and the 400 above tells the caller what to send.
IDEMPOTENT_WRITE_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": True,
            "description": (
                "A unique value per write (a UUID): 1 to 200 printable ASCII characters, optionally in "
                "double quotes. Send the same value to retry that write safely; without it the write is "
                "refused with 400."
            ),
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": KEY_MAX_LENGTH + 2,
                "pattern": f'^"?[ -~]{{1,{KEY_MAX_LENGTH}}}"?$',
            },
        }
    ]
}


async def idempotent_write(request: Request, principal: PrincipalDep) -> IdempotentWrite:
    """The write's key, read from the request because its declaration is ``IDEMPOTENT_WRITE_OPENAPI``."""
    return IdempotentWrite(
        principal=principal.sub,
        key=_parsed_key(request.headers.get("Idempotency-Key")),
        route=f"{request.method} {request.url.path}"[:300],
        request_hash=_fingerprint(await request.body()),
    )


IdempotentWriteDep = Annotated[IdempotentWrite, Depends(idempotent_write)]


async def _stored(session: AsyncSession, write: IdempotentWrite) -> IdempotencyKey | None:
    query = select(IdempotencyKey).where(
        col(IdempotencyKey.principal) == write.principal, col(IdempotencyKey.key) == write.key
    )
    return (await session.execute(query)).scalar_one_or_none()


def _replay(stored: IdempotencyKey, write: IdempotentWrite) -> Response:
    if stored.route != write.route or stored.request_hash != write.request_hash:
        raise Unprocessable(
            "this Idempotency-Key was already used for a different request; use a new key for a new write"
        )
    return JSONResponse(
        stored.response_body,
        status_code=stored.response_status,
        headers={**stored.response_headers, REPLAYED_HEADER: "true"},
    )


async def replay_if_seen(session: AsyncSession, write: IdempotentWrite) -> Response | None:
    """The first response to this write, if it was already made; 422 if the key was used for another."""
    stored = await _stored(session, write)
    return _replay(stored, write) if stored is not None else None


async def respond_once(
    session: AsyncSession, write: IdempotentWrite, *, status: int, body: BaseModel, headers: dict[str, str]
) -> Response:
    """Keeps the response with the key, in the write's own transaction, and returns it.

    When a concurrent duplicate committed the key first, this write is rolled back and the duplicate's
    response is returned instead.
    """
    content = body.model_dump(mode="json")
    session.add(
        IdempotencyKey(
            principal=write.principal,
            key=write.key,
            route=write.route,
            request_hash=write.request_hash,
            response_status=status,
            response_body=content,
            response_headers=headers,
            created_at=utcnow(),
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        stored = await _stored(session, write)
        if stored is None:
            raise
        return _replay(stored, write)
    return JSONResponse(content, status_code=status, headers=headers)
