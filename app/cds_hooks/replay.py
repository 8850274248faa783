"""A JWT id is good for one call: each is kept in the database until its token expires.

In the database rather than in memory so that every worker and every instance sharing the database refuses
the replay. The primary key (issuer, jti) decides a race between two calls with one token: one insert wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.audit.service import AuditLog
from app.cds_hooks.models import CdsTokenUse


async def first_use(
    audit_log: AuditLog, *, issuer: str, jti: str, usable_until: datetime, now: datetime
) -> bool:
    """True the first time an issuer's ``jti`` is seen while its token is usable; False for a replay.

    Ids of tokens that can no longer be accepted are forgotten on the way, so the table stays as small as
    the number of tokens alive. The audit log's unit of work keeps SQLite to one writer at a time.
    """
    try:
        async with audit_log.unit_of_work() as session:
            await session.execute(delete(CdsTokenUse).where(col(CdsTokenUse.expires_at) < now))
            session.add(CdsTokenUse(issuer=issuer, jti=jti, expires_at=usable_until))
            await session.flush()
    except IntegrityError:
        return False
    return True
