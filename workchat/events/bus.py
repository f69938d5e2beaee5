"""The event bus: ``broadcaster`` backends (in-process, Redis, PostgreSQL LISTEN/NOTIFY).

The bus only wakes subscribers; the event log is the source of truth. ::

    bus = EventBus(url)                         # memory://, redis://, postgres(ql)://
    await bus.publish(committed_events)         # after commit; one string per event
    async with bus.subscribe_org(org_id) as sub:
        message = await sub.get()               # CommittedEvent or EventRef
                                                # raises BusDisconnected when the link broke

Use the hub (``workchat.events.hub``), not the bus, to follow events: it holds one
subscription per org, turns what arrives into a gapless stream and reconnects.

Over PostgreSQL a NOTIFY payload must stay under 8000 bytes, so an event whose JSON is larger
than ``POSTGRES_PAYLOAD_LIMIT`` travels as an ``EventRef`` (seq, org, prev_seq, type) and the
receiver loads it from the log. Messages are always strings (the memory backend would pass
objects through; Redis and PostgreSQL cannot).

broadcaster 0.3.1 itself is used only for its backends: its ``Broadcast`` gives every
subscriber an unbounded queue and never reports a broken connection (subscribers would hang
silently). Here a backend failure ends every subscription with ``BusDisconnected`` and the
next ``connect``/``subscribe_org``/``publish`` opens a fresh connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend
from broadcaster._backends.postgres import PostgresBackend
from broadcaster._backends.redis import RedisBackend
from broadcaster._base import Event as BusEvent

from workchat import metrics
from workchat.events.log import CommittedEvent
from workchat.events.signals import Signal, is_signal

log = logging.getLogger(__name__)

# NOTIFY refuses payloads of 8000 bytes or more; leave room for the channel name and slack.
POSTGRES_PAYLOAD_LIMIT = 7000
DISCONNECT_TIMEOUT_SECONDS = 5.0

# Put on a backend's queue when its connection is gone: next_published raises.
_LOST = BusEvent(channel="", message="")


class BusDisconnected(ConnectionError):
    """The bus connection broke; subscribe again (events in between are in the log)."""


@dataclass(frozen=True, slots=True)
class EventRef:
    """Stands in for an event too large for the bus: load it from the log by ``seq``."""

    seq: int
    org_id: uuid.UUID
    prev_seq: int | None
    type: str


BusMessage = CommittedEvent | EventRef | Signal


def encode_message(event: CommittedEvent, limit: int | None = None) -> str:
    raw = event.to_json()
    if limit is None or len(raw.encode()) <= limit:
        return raw
    return json.dumps(
        {
            "ref": True,
            "seq": event.seq,
            "org_id": str(event.org_id),
            "prev_seq": event.prev_seq,
            "type": event.type,
        },
        separators=(",", ":"),
    )


def decode_message(raw: str) -> BusMessage:
    if is_signal(raw):
        return Signal.from_json(raw)
    if raw.startswith('{"ref":'):
        data = json.loads(raw)
        return EventRef(
            seq=int(data["seq"]),
            org_id=uuid.UUID(data["org_id"]),
            prev_seq=data["prev_seq"],
            type=data["type"],
        )
    return CommittedEvent.from_json(raw)


def org_topic(org_id: uuid.UUID) -> str:
    return f"workchat.org.{org_id.hex}"


class RedisBus(RedisBackend):
    """broadcaster 0.3.1's Redis backend, fixed for redis-py 8 and made to report failure.

    It marked itself ready before SUBSCRIBE completed (the listener then found no channels
    and stopped), and a lost connection ended its listener task while ``next_published``
    kept waiting forever.
    """

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._ready.set()

    async def _pubsub_listener(self) -> None:
        try:
            await super()._pubsub_listener()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failure = exc
            self._queue.put_nowait(_LOST)

    async def next_published(self) -> BusEvent:
        event = await self._queue.get()
        if event is _LOST:
            self._queue.put_nowait(_LOST)
            raise BusDisconnected(f"redis pubsub connection lost: {self._failure}")
        return event


def asyncpg_dsn(url: str) -> str:
    """asyncpg takes ``postgres://`` and ``postgresql://``, not SQLAlchemy's ``+asyncpg``."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


class PostgresBus(PostgresBackend):
    """broadcaster 0.3.1's PostgreSQL backend with a connection of its own for NOTIFY.

    asyncpg runs one operation at a time per connection, so the original backend's shared
    connection failed when two publishes (or a publish and a LISTEN) overlapped. A lost
    LISTEN connection is reported instead of leaving subscribers waiting.
    """

    def __init__(self, url: str) -> None:
        super().__init__(asyncpg_dsn(url))
        self._listen_lock = asyncio.Lock()
        self._publish_lock = asyncio.Lock()

    async def connect(self) -> None:
        await super().connect()
        self._publisher: asyncpg.Connection = await asyncpg.connect(self._url)
        self._conn.add_termination_listener(self._lost)

    def _lost(self, _connection: object) -> None:
        self._listen_queue.put_nowait(_LOST)

    async def disconnect(self) -> None:
        self._conn.remove_termination_listener(self._lost)
        for conn in (self._conn, self._publisher):
            with contextlib.suppress(Exception):
                await conn.close(timeout=DISCONNECT_TIMEOUT_SECONDS)

    async def subscribe(self, channel: str) -> None:
        async with self._listen_lock:
            await super().subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        async with self._listen_lock:
            await super().unsubscribe(channel)

    async def publish(self, channel: str, message: str) -> None:
        async with self._publish_lock:
            await self._publisher.execute("SELECT pg_notify($1, $2)", channel, message)

    async def next_published(self) -> BusEvent:
        event = await self._listen_queue.get()
        if event is _LOST:
            self._listen_queue.put_nowait(_LOST)
            raise BusDisconnected("postgres LISTEN connection lost")
        return event


def is_postgres_url(url: str) -> bool:
    return url.split("://", 1)[0].split("+", 1)[0] in ("postgres", "postgresql")


def make_backend(url: str) -> BroadcastBackend:
    scheme = url.split("://", 1)[0]
    if scheme == "memory":
        return MemoryBackend(url)
    if scheme in ("redis", "rediss"):
        return RedisBus(url)
    if is_postgres_url(url):
        return PostgresBus(url)
    raise ValueError(f"unsupported event bus URL scheme {scheme!r}")


class BusSubscription:
    """One org's messages as they arrive; ``get`` raises ``BusDisconnected`` once the
    connection is lost (the subscription is then over)."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[BusMessage | None] = asyncio.Queue()

    def _deliver(self, message: BusMessage) -> None:
        self._queue.put_nowait(message)

    def _lose(self) -> None:
        self._queue.put_nowait(None)

    async def get(self) -> BusMessage:
        message = await self._queue.get()
        if message is None:
            self._queue.put_nowait(None)  # every later get fails too
            raise BusDisconnected("event bus connection lost")
        return message


class EventBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self.payload_limit = POSTGRES_PAYLOAD_LIMIT if is_postgres_url(url) else None
        self._backend: BroadcastBackend | None = None
        self._listener: asyncio.Task[None] | None = None
        self._channels: dict[str, set[BusSubscription]] = {}
        self._subscribed: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()
        self._opened = False  # once opened, every further open is a reconnect (metrics)

    async def connect(self) -> None:
        """Open the connection unless it is open; after a failure this opens a new one."""
        if self._backend is not None:
            return
        async with self._lock:
            if self._backend is not None:
                return
            backend = make_backend(self.url)
            await backend.connect()
            if self._opened:
                metrics.BUS_RECONNECTS.inc()
            self._opened = True
            self._backend = backend
            self._listener = asyncio.create_task(self._listen(backend))

    async def disconnect(self) -> None:
        backend, listener = self._backend, self._listener
        if backend is None:
            return
        self._drop(backend)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        with contextlib.suppress(Exception):
            await asyncio.wait_for(backend.disconnect(), DISCONNECT_TIMEOUT_SECONDS)

    def _drop(self, backend: BroadcastBackend) -> None:
        """Forget ``backend`` (if still current) and end every subscription on it."""
        if self._backend is not backend:
            return
        self._backend = None
        self._listener = None
        for subscriptions in self._channels.values():
            for subscription in subscriptions:
                subscription._lose()
        for ready in self._subscribed.values():
            ready.set()  # waiters wake and find the backend gone
        self._channels.clear()
        self._subscribed.clear()

    async def _listen(self, backend: BroadcastBackend) -> None:
        try:
            while True:
                event = await backend.next_published()
                subscriptions = self._channels.get(event.channel)
                if not subscriptions:
                    continue
                try:
                    message = decode_message(event.message)
                except (ValueError, KeyError, TypeError):
                    log.warning("dropped a malformed bus message on %s", event.channel)
                    metrics.EVENTS_DROPPED.labels("malformed").inc()
                    continue
                for subscription in tuple(subscriptions):
                    subscription._deliver(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("event bus connection lost (%s); subscribers will reconnect", exc)
            metrics.BUS_CONNECTION_LOSSES.inc()
            self._drop(backend)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(backend.disconnect(), DISCONNECT_TIMEOUT_SECONDS)

    async def publish(self, events: list[CommittedEvent]) -> None:
        """Publish committed events in order. A failure is not fatal to the caller's action:
        subscribers catch up from the log; the next publish reconnects."""
        await self.connect()
        backend = self._backend
        assert backend is not None
        try:
            for event in events:
                await backend.publish(
                    org_topic(event.org_id), encode_message(event, self.payload_limit)
                )
                metrics.EVENTS_PUBLISHED.inc()
        except Exception:
            metrics.BUS_CONNECTION_LOSSES.inc()
            self._drop(backend)
            raise

    async def signal(self, signal: Signal) -> None:
        """Publish an ephemeral signal; one lost on a broken connection is simply lost."""
        await self.connect()
        backend = self._backend
        assert backend is not None
        try:
            await backend.publish(org_topic(signal.org_id), signal.to_json())
        except Exception:
            self._drop(backend)
            raise

    @asynccontextmanager
    async def subscribe_org(self, org_id: uuid.UUID) -> AsyncIterator[BusSubscription]:
        """The org's messages while inside; the backend has subscribed on entry."""
        await self.connect()
        backend = self._backend
        assert backend is not None
        channel = org_topic(org_id)
        subscription = BusSubscription()
        subscriptions = self._channels.setdefault(channel, set())
        subscriptions.add(subscription)
        try:
            ready = self._subscribed.get(channel)
            if ready is None:
                ready = self._subscribed[channel] = asyncio.Event()
                try:
                    await backend.subscribe(channel)
                except Exception:
                    self._drop(backend)
                    raise
                ready.set()
            else:
                await ready.wait()
                if self._backend is not backend:
                    raise BusDisconnected("event bus connection lost while subscribing")
            yield subscription
        finally:
            subscriptions.discard(subscription)
            if not subscriptions and self._channels.get(channel) is subscriptions:
                del self._channels[channel]
                self._subscribed.pop(channel, None)
                if self._backend is backend:
                    with contextlib.suppress(Exception):
                        await backend.unsubscribe(channel)
