"""The durable event log. An event row is written in the action's transaction.

``append_events`` inserts an action's event rows under the per-org lock and chains each one
to the org's previous event (``prev_seq``): ``seq`` is global, so only this link lets a
receiver of one org's stream see that it missed an event. Reading the log is in ``reads``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.db.base import table_of, utcnow
from workchat.db.direct_write import execute_write
from workchat.db.models import Event, EventWatermark
from workchat.events.catalogue import DomainEvent, EventDecodeError, decode


@dataclass(frozen=True, slots=True)
class CommittedEvent:
    """An event with its cursor, as delivered to subscribers."""

    seq: int
    org_id: uuid.UUID
    type: str
    payload: dict[str, Any]
    channel_id: uuid.UUID | None
    user_id: uuid.UUID | None
    created_at: datetime
    # The seq of the org's event before this one (0: the org's first). Set on events as
    # published after commit; None on events read back from the log, which come in order.
    # How an event travelled does not make it another event: not compared.
    prev_seq: int | None = field(default=None, compare=False)
    # The decoded event, kept: one CommittedEvent reaches every listener of the process,
    # and each subscriber asks for ``event``.
    _decoded: DomainEvent | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def event(self) -> DomainEvent:
        """The typed event; ``EventDecodeError`` (``UnknownEventType`` for a type name no
        class claims) when the row cannot be read as one."""
        if self._decoded is None:
            object.__setattr__(self, "_decoded", decode_event(self))
        return self._decoded  # type: ignore[return-value]

    @classmethod
    def from_row(cls, row: Event, prev_seq: int | None = None) -> CommittedEvent:
        return cls(
            seq=row.seq,
            org_id=row.org_id,
            type=row.type,
            payload=row.payload,
            channel_id=row.channel_id,
            user_id=row.user_id,
            created_at=row.created_at,
            prev_seq=prev_seq,
        )

    def to_json(self) -> str:
        """Serialized once per event, then fanned out as the same string."""
        return json.dumps(
            {
                "seq": self.seq,
                "org_id": str(self.org_id),
                "type": self.type,
                "payload": self.payload,
                "channel_id": str(self.channel_id) if self.channel_id else None,
                "user_id": str(self.user_id) if self.user_id else None,
                "created_at": self.created_at.isoformat(),
                "prev_seq": self.prev_seq,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> CommittedEvent:
        data = json.loads(raw)
        return cls(
            seq=int(data["seq"]),
            org_id=uuid.UUID(data["org_id"]),
            type=data["type"],
            payload=data["payload"],
            channel_id=uuid.UUID(data["channel_id"]) if data["channel_id"] else None,
            user_id=uuid.UUID(data["user_id"]) if data["user_id"] else None,
            created_at=datetime.fromisoformat(data["created_at"]),
            prev_seq=data.get("prev_seq"),
        )


def decode_event(committed: CommittedEvent) -> DomainEvent:
    try:
        return decode(
            committed.type,
            committed.payload,
            org_id=committed.org_id,
            channel_id=committed.channel_id,
            user_id=committed.user_id,
        )
    except EventDecodeError as exc:
        raise type(exc)(f"event {committed.seq}: {exc}") from None


@dataclass(frozen=True, slots=True)
class EventRow:
    """The log row of an event an action emits, before it has its ``seq``."""

    org_id: uuid.UUID
    type: str
    payload: dict[str, Any]
    channel_id: uuid.UUID | None
    user_id: uuid.UUID | None


def event_row(event: DomainEvent) -> EventRow:
    """The log row of an event an action emits; it gets its ``seq`` when inserted."""
    delivery = event.delivery()
    return EventRow(
        org_id=delivery.org_id,
        type=event.type,
        payload=event.to_payload(),
        channel_id=delivery.channel_id,
        user_id=delivery.user_id,
    )


def last_event_seq_sql(org_id: Any) -> ColumnElement[int]:
    """The seq of the org's latest event (0 if none): the newest row, or, when retention
    pruned them all, the watermark. One expression, so one snapshot: a concurrent prune is
    seen either wholly (rows gone, watermark set) or not at all."""
    newest = select(func.max(Event.seq)).where(Event.org_id == org_id).scalar_subquery()
    pruned = (
        select(EventWatermark.pruned_seq).where(EventWatermark.org_id == org_id).scalar_subquery()
    )
    return func.coalesce(newest, pruned, 0)


_LAST_EVENT_SEQ = select(last_event_seq_sql(bindparam("org_id")))


async def last_event_seq(session: AsyncSession, org_id: uuid.UUID) -> int:
    """The seq of the org's latest event (0 if none); see ``last_event_seq_sql``."""
    return int(await session.scalar(_LAST_EVENT_SEQ, {"org_id": org_id}) or 0)


# Built once: the statement's cache key is computed once, not per post.
_EVENTS = table_of(Event)
_INSERT_EVENTS = insert(_EVENTS).returning(_EVENTS.c.seq, sort_by_parameter_order=True)


async def append_events(
    session: AsyncSession, rows: list[EventRow], heads: dict[uuid.UUID, int]
) -> list[CommittedEvent]:
    """Insert ``rows`` (see ``event_row``) in one statement and return them
    committed-to-be, each chained to its org's previous event. ``heads`` holds each org's
    latest event seq (``last_event_seq``) and is moved on to the rows inserted. The caller
    holds the per-org lock (``workchat.audit.lock_org_chain``) of every org in ``rows``
    until commit, so no other event of the org can slip in between."""
    created_at = utcnow()
    values = [
        {
            "org_id": row.org_id,
            "channel_id": row.channel_id,
            "user_id": row.user_id,
            "type": row.type,
            "payload": row.payload,
            "created_at": created_at,
        }
        for row in rows
    ]
    seqs = [seq for (seq,) in await execute_write(session, _INSERT_EVENTS, values)]
    committed: list[CommittedEvent] = []
    # Delivery order is seq order.
    for seq, row in sorted(zip(seqs, rows, strict=True), key=lambda pair: pair[0]):
        committed.append(
            CommittedEvent(
                seq=seq,
                org_id=row.org_id,
                type=row.type,
                payload=row.payload,
                channel_id=row.channel_id,
                user_id=row.user_id,
                created_at=created_at,
                prev_seq=heads[row.org_id],
            )
        )
        heads[row.org_id] = seq
    return committed
