"""Follow an org's events from a cursor: replay from the log, then live, exactly once.

The building block for GraphQL subscriptions (``channelEvents``, ``viewerEvents``,
``auditEvents``)::

    decoded = decode_cursor(after, viewer.org_id) if after else None
    # (reject a cursor that is not decoded.is_valid before calling follow)
    async for item in follow(services.hub, viewer.org_id,
                             after_seq=decoded.seq if decoded else None,
                             where=EventFilter(channel_id=channel.id)):
        if isinstance(item, ResyncRequired):
            ...  # send ResyncRequired { reason }: the stream then goes on live from now
        elif isinstance(item, Signal):
            ...  # ephemeral (typing, presence, audit wake-up): live only, never replayed
        else:
            ...  # item is a CommittedEvent; its cursor is encode_cursor(item.org_id, item.seq)

Without ``after_seq`` the stream starts live, from now. With it, events after it are replayed
from the log in pages, then live events follow with duplicates dropped by seq. A cursor
whose following events were pruned by retention yields one ``ResyncRequired`` first (never a
silent gap). A subscriber that cannot keep up gets ``SubscriberTooSlow`` raised out of the
iterator: close its socket with ``SubscriberTooSlow.close_code``; the client resumes from
the cursor of the last event it received.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from workchat.events.hub import EventHub, Listener
from workchat.events.log import CommittedEvent
from workchat.events.reads import EVERYTHING, PAGE_SIZE, EventFilter
from workchat.events.signals import Signal

CURSOR_EXPIRED = "events after this cursor are no longer kept; reload and resubscribe"


@dataclass(frozen=True, slots=True)
class ResyncRequired:
    """The subscriber's view may be missing events: it must reload state."""

    reason: str


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """Yielded (with ``caught_up=True``) whenever the follower has every event up to the
    hub's position and nothing waits: a consumer may hand over to another listener of the
    same events from ``max(position, hub.position(org))`` on, while ``idle()`` still holds
    (workchat.graphql.events.delivery)."""

    listener: Listener
    position: int

    def idle(self) -> bool:
        return self.listener.idle()


async def follow(
    hub: EventHub,
    org_id: uuid.UUID,
    *,
    after_seq: int | None = None,
    where: EventFilter = EVERYTHING,
    page_size: int = PAGE_SIZE,
    caught_up: bool = False,
) -> AsyncIterator[CommittedEvent | Signal | ResyncRequired | CaughtUp]:
    async with hub.listen(org_id, channel_id=where.channel_id) as listener:
        start = listener.start_seq
        assert start is not None
        position = start  # live events at or below it were replayed (or predate the cursor)
        if after_seq is not None:
            if await hub.log.cursor_expired(org_id, after_seq):
                yield ResyncRequired(CURSOR_EXPIRED)
            else:
                replayed = after_seq
                while replayed < start:
                    page = await hub.log.read_after(
                        org_id, replayed, limit=page_size, where=where, up_to=start
                    )
                    for event in page:
                        yield event
                    if len(page) < page_size:
                        break
                    replayed = page[-1].seq
                position = max(after_seq, start)
        while True:
            if caught_up and listener.idle():
                yield CaughtUp(listener, position)
            item = await listener.next()
            if isinstance(item, Signal):
                if where.channel_id is None or item.channel_id == where.channel_id:
                    yield item
            elif item.seq > position and where.matches(item):
                yield item
