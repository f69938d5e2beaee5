"""Signals: ephemeral messages on the bus (typing, presence, "the audit log grew").

Unlike events they are never stored, have no seq and are not replayed: a subscriber that is
not listening when one is published never sees it, which is what typing indicators and
presence want. They travel on the org's bus topic beside the events, so they reach every
process, and the hub hands them to its listeners as they come (a listener keeps only the
newest ``SIGNAL_BACKLOG`` it has not read yet).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

TYPING_STARTED = "typing.started"
PRESENCE_CHANGED = "presence.changed"
AUDIT_APPENDED = "audit.appended"

PREFIX = '{"signal":'


@dataclass(frozen=True, slots=True)
class Signal:
    org_id: uuid.UUID
    type: str
    channel_id: uuid.UUID | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "signal": self.type,
                "org_id": str(self.org_id),
                "channel_id": str(self.channel_id) if self.channel_id else None,
                "payload": self.payload,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> Signal:
        data = json.loads(raw)
        return cls(
            org_id=uuid.UUID(data["org_id"]),
            type=str(data["signal"]),
            channel_id=uuid.UUID(data["channel_id"]) if data["channel_id"] else None,
            payload=dict(data["payload"]),
        )


def is_signal(raw: str) -> bool:
    return raw.startswith(PREFIX)
