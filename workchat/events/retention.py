"""Retention: delete events older than ``WORKCHAT_EVENT_RETENTION_DAYS``, in small batches.

::

    result = await prune_events(db, older_than=utcnow() - timedelta(days=7))
    result.deleted          # rows removed
    result.pruned_through   # per org, the highest seq removed (also kept in event_watermarks)

Each batch is its own short transaction, so posting never waits on a long delete. Batches go
in seq order (the primary key) from the oldest event and stop at the first one that is young
enough: no index on ``created_at`` is needed, and a run over a log with nothing to prune
reads one row. The per-org watermark lets ``reads.cursor_expired`` refuse a cursor whose
following events are gone. ``run_pruner`` is the server's periodic task.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.db.base import utcnow
from workchat.db.engine import Database
from workchat.db.models import Event, EventWatermark
from workchat.settings import Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 1000


@dataclass(slots=True)
class PruneResult:
    deleted: int = 0
    pruned_through: dict[uuid.UUID, int] = field(default_factory=dict)


async def prune_events(
    db: Database, *, older_than: datetime, batch_size: int = BATCH_SIZE
) -> PruneResult:
    """Delete events created before ``older_than``; returns what was removed."""
    result = PruneResult()
    while True:
        async with db.write_session() as session, session.begin():
            rows = (
                await session.execute(
                    select(Event.seq, Event.org_id, Event.created_at)
                    .order_by(Event.seq)
                    .limit(batch_size)
                )
            ).all()
            old = []
            for row in rows:
                if row.created_at >= older_than:
                    break
                old.append(row)
            if not old:
                return result
            # By seq, never by range: a seq below these may still commit (a concurrent
            # writer of another org) and is new.
            deleted = await session.execute(
                delete(Event).where(Event.seq.in_([row.seq for row in old]))
            )
            highest: dict[uuid.UUID, int] = {}
            for row in old:
                highest[row.org_id] = max(highest.get(row.org_id, 0), row.seq)
            for org_id, seq in highest.items():
                await _raise_watermark(session, org_id, seq)
                result.pruned_through[org_id] = max(result.pruned_through.get(org_id, 0), seq)
        result.deleted += int(getattr(deleted, "rowcount", 0) or 0)
        if len(old) < len(rows) or len(rows) < batch_size:
            return result


async def _raise_watermark(session: AsyncSession, org_id: uuid.UUID, seq: int) -> None:
    """Insert or raise the org's watermark (never lower it: two pruners may race)."""
    values = {"org_id": org_id, "pruned_seq": seq, "pruned_at": utcnow()}
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql_insert(EventWatermark).values(values)
        await session.execute(
            pg.on_conflict_do_update(
                index_elements=[EventWatermark.org_id],
                set_={
                    "pruned_seq": func.greatest(EventWatermark.pruned_seq, pg.excluded.pruned_seq),
                    "pruned_at": pg.excluded.pruned_at,
                },
            )
        )
        return
    lite = sqlite_insert(EventWatermark).values(values)
    await session.execute(
        lite.on_conflict_do_update(
            index_elements=[EventWatermark.org_id],
            set_={
                "pruned_seq": func.max(EventWatermark.pruned_seq, lite.excluded.pruned_seq),
                "pruned_at": lite.excluded.pruned_at,
            },
        )
    )


def retention_cutoff(settings: Settings, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=settings.event_retention_days)


async def run_pruner(db: Database, settings: Settings) -> None:
    """Prune now and then every ``event_prune_interval_seconds``; errors are logged, the loop
    goes on (the server must not stop because a prune failed)."""
    while True:
        try:
            result = await prune_events(db, older_than=retention_cutoff(settings))
            if result.deleted:
                log.info("pruned %d events older than the retention", result.deleted)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("pruning the event log failed; retrying next interval")
        await asyncio.sleep(settings.event_prune_interval_seconds)
