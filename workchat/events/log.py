"""The durable event log. An event row is written in the action's transaction."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workchat.db.models import Event


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event an action wants to emit; it gets its ``seq`` when inserted."""

    org_id: uuid.UUID
    type: str
    payload: dict[str, Any]
    channel_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None


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


def event_row(record: EventRecord) -> Event:
    return Event(
        org_id=record.org_id,
        type=record.type,
        payload=record.payload,
        channel_id=record.channel_id,
        user_id=record.user_id,
    )
