"""The per-process hub: one bus subscription per org, fanned out to local listeners.

Each listener has a bounded queue; one that falls behind is marked overflowed (its owner
closes it with an explicit code) instead of letting memory grow. If the bus subscription
fails, the hub resubscribes with backoff; listeners that need every event catch up from the
durable log by cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from workchat.events.bus import EventBus
from workchat.events.log import CommittedEvent

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
MAX_BACKOFF_SECONDS = 30.0


class Listener:
    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[CommittedEvent] = asyncio.Queue(maxsize=size)
        self.overflowed = asyncio.Event()

    def offer(self, event: CommittedEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed.set()


class EventHub:
    def __init__(self, bus: EventBus, *, queue_size: int = QUEUE_SIZE) -> None:
        self._bus = bus
        self._queue_size = queue_size
        self._listeners: dict[uuid.UUID, set[Listener]] = {}
        self._pumps: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._ready: dict[uuid.UUID, asyncio.Event] = {}

    @asynccontextmanager
    async def listen(self, org_id: uuid.UUID) -> AsyncIterator[Listener]:
        """Receive the org's events while inside; the bus subscription is live on entry."""
        listener = Listener(self._queue_size)
        self._listeners.setdefault(org_id, set()).add(listener)
        if org_id not in self._pumps:
            self._ready[org_id] = asyncio.Event()
            self._pumps[org_id] = asyncio.create_task(self._pump(org_id))
        await self._ready[org_id].wait()
        try:
            yield listener
        finally:
            listeners = self._listeners.get(org_id, set())
            listeners.discard(listener)
            if not listeners:
                self._stop(org_id)

    def _stop(self, org_id: uuid.UUID) -> None:
        self._listeners.pop(org_id, None)
        self._ready.pop(org_id, None)
        pump = self._pumps.pop(org_id, None)
        if pump is not None:
            pump.cancel()

    async def _pump(self, org_id: uuid.UUID) -> None:
        backoff = 0.5
        while True:
            try:
                async with self._bus.subscribe_org(org_id) as queue:
                    self._ready[org_id].set()
                    backoff = 0.5
                    while True:
                        event = await queue.get()
                        for listener in tuple(self._listeners.get(org_id, ())):
                            listener.offer(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event bus subscription for org %s failed; retrying", org_id)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def close(self) -> None:
        pumps = list(self._pumps.values())
        for org_id in list(self._pumps):
            self._stop(org_id)
        for pump in pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await pump
