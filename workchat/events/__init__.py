"""Events: the durable log (source of truth) and the bus (wake-up path after commit).

What the layers above use:

- ``cursor``: ``encode_cursor(org_id, seq)`` / ``decode_cursor(cursor, org_id)`` — opaque,
  org-bound resume positions.
- ``feed``: ``follow(hub, org_id, after_seq=..., where=EventFilter(...))`` — replay from the
  log, then live, exactly once; ``ResyncRequired`` when the cursor is older than retention.
- ``hub``: ``EventHub.listen(org_id)`` — the process-wide gapless stream per org;
  ``SubscriberTooSlow`` / ``SUBSCRIBER_TOO_SLOW`` (4429) for a listener that fell behind.
- ``reads``: ``read_after``, ``head_seq``, ``cursor_expired`` inside a session.
- ``retention``: ``prune_events`` (``workchat events prune``) and the server's ``run_pruner``.
- ``log``: what actions write (``append_events`` chains each event to its org's previous).
- ``bus``: the broadcaster backends; only the hub subscribes.
"""

from workchat.events.cursor import CursorOutcome, DecodedCursor, decode_cursor, encode_cursor
from workchat.events.feed import ResyncRequired, follow
from workchat.events.hub import SUBSCRIBER_TOO_SLOW, EventHub, Listener, SubscriberTooSlow
from workchat.events.log import CommittedEvent
from workchat.events.reads import (
    PAGE_SIZE,
    EventFilter,
    EventLog,
    cursor_expired,
    head_seq,
    read_after,
)

__all__ = [
    "PAGE_SIZE",
    "SUBSCRIBER_TOO_SLOW",
    "CommittedEvent",
    "CursorOutcome",
    "DecodedCursor",
    "EventFilter",
    "EventHub",
    "EventLog",
    "Listener",
    "ResyncRequired",
    "SubscriberTooSlow",
    "cursor_expired",
    "decode_cursor",
    "encode_cursor",
    "follow",
    "head_seq",
    "read_after",
]
