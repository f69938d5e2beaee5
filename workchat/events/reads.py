"""Reading the event log: pages after a position, the head, and whether a cursor expired.

Session-level functions (use them inside your own read session)::

    page = await read_after(session, org_id, after_seq, limit=PAGE_SIZE, channel_id=cid)
    # ordered by seq; loop with after_seq = page[-1].seq while len(page) == limit
    head = await head_seq(session, org_id)             # "live from now" without a cursor
    if await cursor_expired(session, org_id, after_seq):  # events after it were pruned
        ...

``EventLog`` is the same, opening its own short read sessions: the hub and ``follow`` take
one so that events/ never needs the layers above it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.db.engine import Database
from workchat.db.models import Event, EventWatermark
from workchat.events.log import CommittedEvent, last_event_seq

PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which of an org's events a subscriber wants; the same test in SQL and in memory."""

    channel_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    types: frozenset[str] | None = None

    def matches(self, event: CommittedEvent) -> bool:
        return (
            (self.channel_id is None or event.channel_id == self.channel_id)
            and (self.user_id is None or event.user_id == self.user_id)
            and (self.types is None or event.type in self.types)
        )


EVERYTHING = EventFilter()


async def read_after(
    session: AsyncSession,
    org_id: uuid.UUID,
    after_seq: int,
    *,
    limit: int = PAGE_SIZE,
    channel_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    types: Collection[str] | None = None,
    up_to: int | None = None,
) -> list[CommittedEvent]:
    """Up to ``limit`` of the org's events with ``after_seq < seq [<= up_to]``, by seq.

    Walks ix_events_channel_id_seq or ix_events_user_id_seq when filtering by channel or
    user, else ix_events_org_id_seq. Within an org, seqs become visible in order (writers
    hold the org lock until commit), so a page never skips a seq that commits later.
    """
    query = select(Event).where(Event.org_id == org_id, Event.seq > after_seq)
    if channel_id is not None:
        query = query.where(Event.channel_id == channel_id)
    if user_id is not None:
        query = query.where(Event.user_id == user_id)
    if types is not None:
        query = query.where(Event.type.in_(sorted(types)))
    if up_to is not None:
        query = query.where(Event.seq <= up_to)
    rows = await session.scalars(query.order_by(Event.seq).limit(limit))
    return [CommittedEvent.from_row(row) for row in rows]


async def head_seq(session: AsyncSession, org_id: uuid.UUID) -> int:
    """The seq of the org's latest event (0 if it has none yet)."""
    return await last_event_seq(session, org_id)


async def pruned_seq(session: AsyncSession, org_id: uuid.UUID) -> int:
    """The highest seq of the org that retention deleted (0 if none)."""
    value = await session.scalar(
        select(EventWatermark.pruned_seq).where(EventWatermark.org_id == org_id)
    )
    return int(value or 0)


async def cursor_expired(session: AsyncSession, org_id: uuid.UUID, after_seq: int) -> bool:
    """True when some event of the org after ``after_seq`` was pruned: resuming there would
    silently skip it, so the subscriber must resync instead."""
    return await pruned_seq(session, org_id) > after_seq


class LogReader(Protocol):
    """What the hub and ``follow`` need from the log (``EventLog`` reads the database)."""

    async def read_after(
        self,
        org_id: uuid.UUID,
        after_seq: int,
        *,
        limit: int = PAGE_SIZE,
        where: EventFilter = EVERYTHING,
        up_to: int | None = None,
    ) -> list[CommittedEvent]: ...

    async def head_seq(self, org_id: uuid.UUID) -> int: ...

    async def cursor_expired(self, org_id: uuid.UUID, after_seq: int) -> bool: ...


class EventLog:
    """The log as the hub and ``follow`` read it: each call is one short read session."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def read_after(
        self,
        org_id: uuid.UUID,
        after_seq: int,
        *,
        limit: int = PAGE_SIZE,
        where: EventFilter = EVERYTHING,
        up_to: int | None = None,
    ) -> list[CommittedEvent]:
        async with self._db.read_session() as session:
            return await read_after(
                session,
                org_id,
                after_seq,
                limit=limit,
                channel_id=where.channel_id,
                user_id=where.user_id,
                types=where.types,
                up_to=up_to,
            )

    async def head_seq(self, org_id: uuid.UUID) -> int:
        async with self._db.read_session() as session:
            return await head_seq(session, org_id)

    async def cursor_expired(self, org_id: uuid.UUID, after_seq: int) -> bool:
        async with self._db.read_session() as session:
            return await cursor_expired(session, org_id, after_seq)
