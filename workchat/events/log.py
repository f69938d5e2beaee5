"""The durable event log. An event row is written in the action's transaction."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workchat.db.models import Event
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

    @property
    def event(self) -> DomainEvent:
        """The typed event; ``EventDecodeError`` (``UnknownEventType`` for a type name no
        class claims) when the row cannot be read as one."""
        return decode_event(self)

    @classmethod
    def from_row(cls, row: Event) -> CommittedEvent:
        return cls(
            seq=row.seq,
            org_id=row.org_id,
            type=row.type,
            payload=row.payload,
            channel_id=row.channel_id,
            user_id=row.user_id,
            created_at=row.created_at,
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


def event_row(event: DomainEvent) -> Event:
    """The log row of an event an action emits; it gets its ``seq`` when inserted."""
    delivery = event.delivery()
    return Event(
        org_id=delivery.org_id,
        type=event.type,
        payload=event.to_payload(),
        channel_id=delivery.channel_id,
        user_id=delivery.user_id,
    )
