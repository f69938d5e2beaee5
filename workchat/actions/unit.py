"""The transaction every action runs in: rows + audit entry + event rows, then publish."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.audit import (
    AuditRecord,
    ChainHead,
    append_entries,
    audit_head_sql,
    chain_head,
    lock_org_chain,
    make_diff,
)
from workchat.auth.viewer import SCOPE_WRITE, Viewer
from workchat.db.group_commit import after_commit, writer_memo
from workchat.errors import Forbidden
from workchat.events.catalogue import DomainEvent
from workchat.events.log import CommittedEvent, append_events, event_row, last_event_seq_sql
from workchat.events.signals import AUDIT_APPENDED, Signal
from workchat.services import Services

log = logging.getLogger(__name__)


class Unit:
    """Collects an action's audit entry and events; they are written just before commit."""

    def __init__(self, session: AsyncSession, viewer: Viewer) -> None:
        self.session = session
        self.viewer = viewer
        self._audit: list[AuditRecord] = []
        self._events: list[DomainEvent] = []
        self.committed_events: list[CommittedEvent] = []

    def audit(
        self,
        org_id: uuid.UUID,
        action: str,
        target_type: str,
        target_id: uuid.UUID | str | None,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> None:
        self._audit.append(
            AuditRecord(
                org_id=org_id,
                action=action,
                target_type=target_type,
                target_id=str(target_id) if target_id is not None else None,
                diff=make_diff(before, after),
            )
        )

    def emit(self, event: DomainEvent) -> None:
        """Record ``event``; its row's org/channel/user columns follow from its audience."""
        self._events.append(event)

    def audited_orgs(self) -> set[uuid.UUID]:
        return {record.org_id for record in self._audit}

    async def _write_log(self) -> None:
        # Lock every touched org in a fixed order (no deadlocks), so the audit chain never
        # forks and event seqs within an org follow commit order.
        orgs = sorted({r.org_id for r in self._audit} | {e.org_id for e in self._events})
        for org_id in orgs:
            await lock_org_chain(self.session, org_id)
        audit_heads, event_heads = await _chain_heads(self.session, orgs)
        await self.session.flush()
        await append_entries(self.session, self.viewer, self._audit, audit_heads)
        if self._events:
            rows = [event_row(event) for event in self._events]
            self.committed_events = await append_events(self.session, rows, event_heads)
        memo = writer_memo(self.session)
        if memo is not None:
            # True once these statements ran; forgotten if this savepoint rolls back.
            for org_id in orgs:
                memo[(_HEADS, org_id)] = (audit_heads[org_id], event_heads[org_id])


# Writer-memo key of an org's chain heads: (audit (seq, hash), latest event seq).
_HEADS = "workchat.chain_heads"

_audit_seq, _audit_hash = audit_head_sql(bindparam("org_id"))
_READ_HEADS = select(_audit_seq, _audit_hash, last_event_seq_sql(bindparam("org_id")))


async def _chain_heads(
    session: AsyncSession, orgs: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, ChainHead], dict[uuid.UUID, int]]:
    """Each org's audit chain head and latest event seq, under the org lock: from the
    writer memo where this process's last write left them (SQLite, while no other
    connection wrote), else one statement per org."""
    memo = writer_memo(session)
    audit: dict[uuid.UUID, ChainHead] = {}
    events: dict[uuid.UUID, int] = {}
    for org_id in orgs:
        known = memo.get((_HEADS, org_id)) if memo is not None else None
        if known is None:
            row = (await session.execute(_READ_HEADS, {"org_id": org_id})).one()
            known = (chain_head(row[0], row[1]), int(row[2]))
        audit[org_id], events[org_id] = known
    return audit, events


@asynccontextmanager
async def unit_of_work(
    services: Services, viewer: Viewer, *, requires_write: bool = True
) -> AsyncIterator[Unit]:
    """Run an action's writes in one transaction; publish its events only after commit.

    An exception inside rolls everything back: no rows, no audit entry, no events.
    """
    if requires_write and viewer.is_authenticated and not viewer.can(SCOPE_WRITE):
        raise Forbidden("this token may not make changes")
    async with services.db.write_session() as session, session.begin():
        unit = Unit(session, viewer)
        yield unit
        await unit._write_log()
        # Published once committed, in commit order (on SQLite several actions share a
        # commit: workchat.db.group_commit), before the action returns.
        after_commit(session, lambda: _announce(services, unit))


async def _announce(services: Services, unit: Unit) -> None:
    # This process stops trusting an ended credential before the action answers.
    services.credentials.observe(unit.committed_events)
    if unit.committed_events:
        try:
            await services.bus.publish(unit.committed_events)
        except Exception:
            # The log has them; subscribers backfill when the bus comes back.
            log.exception("publishing %d events failed", len(unit.committed_events))
    # Live audit tails wake on any event of the org; where an entry came without one
    # (logins, token changes), a signal wakes them instead.
    for org_id in unit.audited_orgs() - {event.org_id for event in unit.committed_events}:
        try:
            await services.bus.signal(Signal(org_id, AUDIT_APPENDED))
        except Exception:
            log.warning("waking live audit tails of org %s failed", org_id, exc_info=True)
