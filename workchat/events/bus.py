"""The event bus: ``broadcaster`` with in-process, Redis or PostgreSQL backends.

The bus only wakes subscribers; the event log is the source of truth. Messages are always
strings (the memory backend would pass objects through; Redis/PostgreSQL cannot).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from broadcaster import Broadcast
from broadcaster._backends.redis import RedisBackend

from workchat.events.log import CommittedEvent


class ReadyAfterSubscribeRedisBackend(RedisBackend):
    """broadcaster 0.3.1 marks itself ready before SUBSCRIBE completes; with redis-py 8 the
    listener then finds no channels and stops. Subscribe first, then wake the listener."""

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._ready.set()


def make_broadcast(url: str) -> Broadcast:
    if url.startswith(("redis://", "rediss://")):
        return Broadcast(backend=ReadyAfterSubscribeRedisBackend(url))
    return Broadcast(url)


def org_topic(org_id: uuid.UUID) -> str:
    return f"workchat.org.{org_id.hex}"


class EventBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._broadcast = make_broadcast(url)
        self._connected = False

    async def connect(self) -> None:
        if not self._connected:
            await self._broadcast.connect()
            self._connected = True

    async def disconnect(self) -> None:
        if self._connected:
            self._connected = False
            listener = getattr(self._broadcast, "_listener_task", None)
            if listener is not None and listener.cancelled():
                return  # the loop is already tearing down; nothing left to close
            await self._broadcast.disconnect()

    async def publish(self, events: list[CommittedEvent]) -> None:
        """Publish committed events in order. A failed publish is not fatal: subscribers
        catch up from the log when they next wake or reconnect."""
        for event in events:
            await self._broadcast.publish(org_topic(event.org_id), event.to_json())

    @asynccontextmanager
    async def subscribe_org(
        self, org_id: uuid.UUID
    ) -> AsyncIterator[asyncio.Queue[CommittedEvent]]:
        """Raw per-org feed (tests and the per-process hub use it)."""
        queue: asyncio.Queue[CommittedEvent] = asyncio.Queue()
        async with self._broadcast.subscribe(org_topic(org_id)) as subscriber:

            async def pump() -> None:
                async for message in subscriber:  # type: ignore[union-attr]
                    if message is not None:
                        queue.put_nowait(CommittedEvent.from_json(message.message))

            task = asyncio.create_task(pump())
            try:
                yield queue
            finally:
                task.cancel()
