"""Whether a run reads the practice's whole population or only what changed since the last run (``_since``).

An incremental run asks the practice's Bulk Data server for the resources changed since the last completed
run's ``transactionTime`` and applies them to the population that run kept on the worker's disk
(``VCLINIC_VAR_DIR/case-finding/``); only the patients the changes touch are read again. What it cannot see:
a patient nothing changed for is not re-read, so a rule that turns on time alone (no eGFR in the last 12
months, say) is not re-evaluated for them until a full run. So a run reads the whole population when:

- it was asked to (``full``: ``POST /v1/case-finding/runs`` ``{"full": true}``, ``vclinic case-find --full``);
- there is no completed run to read on from, or this worker does not hold the population that run left (the
  kept population's ``transactionTime`` must be that run's: another worker's disk, or a run that stopped
  between its database commit and its disk's, means a full run);
- the last full run is older than ``VCLINIC_CASE_FINDING_FULL_AFTER_DAYS``, or
  ``VCLINIC_CASE_FINDING_FULL_EVERY`` runs have been made since the last full one (counting this one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.case_finding.claims import ClaimedRun
from app.case_finding.models import CaseFindingRun, RunStatus


@dataclass(frozen=True, slots=True)
class IncrementPolicy:
    """Where populations are kept between runs (None: never, every run is full) and when to read whole."""

    directory: Path | None
    full_every: int = 6
    full_after: timedelta = timedelta(days=90)

    def kept_path(self, claim: ClaimedRun) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / f"{claim.practice_ods}-{claim.specialty}.sqlite3"


def _done(claim: ClaimedRun) -> list[ColumnElement[bool]]:
    return [
        col(CaseFindingRun.practice_ods) == claim.practice_ods,
        col(CaseFindingRun.specialty) == claim.specialty,
        col(CaseFindingRun.status) == RunStatus.DONE.value,
        col(CaseFindingRun.transaction_time).is_not(None),
        col(CaseFindingRun.id) != claim.run_id,
    ]


async def incremental_since(
    session: AsyncSession,
    claim: ClaimedRun,
    policy: IncrementPolicy,
    *,
    kept_transaction_time: datetime | None,
    now: datetime,
) -> datetime | None:
    """The ``_since`` this run may read from, or None when it must read the whole population."""
    if claim.full or policy.directory is None or kept_transaction_time is None:
        return None
    order = col(CaseFindingRun.finished_at).desc()
    latest = select(CaseFindingRun).where(*_done(claim)).order_by(order).limit(1)
    last = (await session.execute(latest)).scalar()
    if last is None or last.transaction_time is None:
        return None
    if not _same(last.transaction_time, kept_transaction_time):
        return None
    full_query = select(CaseFindingRun).where(*_done(claim), col(CaseFindingRun.since).is_(None))
    last_full = (await session.execute(full_query.order_by(order).limit(1))).scalar()
    if last_full is None or last_full.transaction_time is None:
        return None
    if _aware(last_full.transaction_time, now) < now - policy.full_after:
        return None
    after_full = select(func.count()).where(
        *_done(claim), col(CaseFindingRun.finished_at) > last_full.finished_at
    )
    since_full: int = (await session.execute(after_full)).scalar_one()
    if since_full + 2 > policy.full_every:
        return None
    return _aware(last.transaction_time, now)


def _aware(moment: datetime, now: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time this service stores is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)


def _same(stored: datetime, kept: datetime) -> bool:
    return _aware(stored, kept) == kept
