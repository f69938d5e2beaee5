"""What the database holds: row counts, the audit chain, the event log, and snapshots that
show a failed call wrote nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from tests.support.personas import Persona
from workchat.db.base import Base
from workchat.db.models import AuditEntry, Event
from workchat.events.catalogue import DomainEvent
from workchat.events.log import CommittedEvent
from workchat.services import Services


async def count_rows(services: Services, model: type, **where: Any) -> int:
    async with services.db.read_session() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(await session.scalar(query) or 0)


async def audit_entries(services: Services, org_id: uuid.UUID) -> list[AuditEntry]:
    async with services.db.read_session() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)
        )
        return list(rows)


async def events(services: Services, org_id: uuid.UUID) -> list[Event]:
    async with services.db.read_session() as session:
        rows = await session.scalars(
            select(Event).where(Event.org_id == org_id).order_by(Event.seq)
        )
        return list(rows)


@dataclass
class Snapshot:
    """Row counts of every table: 'nothing changed' means two snapshots are equal."""

    counts: dict[str, int]


async def snapshot(services: Services) -> Snapshot:
    counts = {}
    async with services.db.read_session() as session:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = int(
                await session.scalar(select(func.count()).select_from(table)) or 0
            )
    return Snapshot(counts)


@dataclass
class LogMark:
    """How far the org's audit chain and event log were before a call."""

    org_id: uuid.UUID
    audit: int
    events: int


async def mark(services: Services, org_id: uuid.UUID) -> LogMark:
    return LogMark(
        org_id, len(await audit_entries(services, org_id)), len(await events(services, org_id))
    )


async def assert_logged(
    services: Services,
    since: LogMark,
    *,
    action: str,
    operation: str,
    actor: Persona,
    target_id: uuid.UUID | None,
    events_: list[tuple[str, uuid.UUID | None, uuid.UUID | None]],
) -> None:
    """Exactly one audit entry (via graphql, named after the mutation) and exactly these
    events, as (type, channel_id, user_id), were written since ``since``."""
    entries = (await audit_entries(services, since.org_id))[since.audit :]
    assert [(e.action, e.via, e.operation, e.actor_id, e.target_id) for e in entries] == [
        (action, "graphql", operation, actor.id, str(target_id) if target_id else None)
    ]
    assert entries[0].request_id
    written = (await events(services, since.org_id))[since.events :]
    assert [(e.type, e.channel_id, e.user_id) for e in written] == events_


def typed(row: Event) -> DomainEvent:
    """An event-log row read back as its typed event."""
    return CommittedEvent.from_row(row).event
