"""Reading the audit trail: admins only, their own org only, newest first."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.access import require_admin
from workchat.auth.viewer import Viewer
from workchat.db.models import AuditEntry


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    action: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(org_id: uuid.UUID, filter: AuditFilter) -> object:
    query = select(AuditEntry).where(AuditEntry.org_id == org_id)
    if filter.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filter.actor_id)
    if filter.action:
        query = query.where(AuditEntry.action == filter.action)
    if filter.target_id:
        query = query.where(AuditEntry.target_id == filter.target_id)
    if filter.since is not None:
        query = query.where(AuditEntry.at >= filter.since)
    if filter.until is not None:
        query = query.where(AuditEntry.at < filter.until)
    return query


async def list_audit_entries(
    session: AsyncSession,
    viewer: Viewer,
    *,
    limit: int,
    before_seq: int | None,
    filter: AuditFilter,
) -> tuple[list[AuditEntry], bool]:
    """The newest ``limit`` entries older than ``before_seq``, newest first; and whether
    older ones remain. Keyset on the per-org seq, so appends never shift a page."""
    require_admin(viewer)
    assert viewer.org_id is not None
    query = _filtered(viewer.org_id, filter)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)  # type: ignore[attr-defined]
    rows = list(
        await session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit + 1))  # type: ignore[attr-defined]
    )
    return rows[:limit], len(rows) > limit


async def stream_audit_entries(
    session: AsyncSession, org_id: uuid.UUID, filter: AuditFilter
) -> AsyncIterator[AuditEntry]:
    """Every matching entry of an org in chain order (for export; the operator's tool)."""
    query = _filtered(org_id, filter).order_by(AuditEntry.seq)  # type: ignore[attr-defined]
    async for entry in await session.stream_scalars(query):
        yield entry


async def audit_head_seq(session: AsyncSession, org_id: uuid.UUID) -> int:
    """The seq of the org's newest audit entry (0 when it has none)."""
    value = await session.scalar(
        select(func.max(AuditEntry.seq)).where(AuditEntry.org_id == org_id)
    )
    return int(value or 0)


async def audit_entries_after(
    session: AsyncSession,
    viewer: Viewer,
    *,
    after_seq: int,
    up_to: int,
    limit: int,
    filter: AuditFilter,
) -> list[AuditEntry]:
    """Matching entries with ``after_seq < seq <= up_to``, oldest first (live tails)."""
    require_admin(viewer)
    assert viewer.org_id is not None
    query = _filtered(viewer.org_id, filter).where(  # type: ignore[attr-defined]
        AuditEntry.seq > after_seq, AuditEntry.seq <= up_to
    )
    return list(await session.scalars(query.order_by(AuditEntry.seq).limit(limit)))
