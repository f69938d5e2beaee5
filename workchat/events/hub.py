"""The per-process hub: one bus subscription per org, a gapless stream for local listeners.

The hub keeps, per org, the seq of the last event it delivered. An event from the bus is
delivered when it links to that seq (its ``prev_seq``); a duplicate (seq at or below it) is
dropped; anything else — a gap because the bus dropped a message, a large event that came as
an ``EventRef``, or a bus subscription that broke and was re-established (with backoff) — makes
the hub read the missing events from the log and deliver them in order. This happens once
per org per process, not once per listener. ::

    async with hub.listen(org_id) as listener:
        # every event of the org with seq > listener.start_seq arrives, in order, once
        event = await listener.next()   # raises SubscriberTooSlow: close with its close_code

Each listener has a bounded queue. One that falls behind is marked ``overflowed`` instead of
growing memory; its owner closes it with ``SUBSCRIBER_TOO_SLOW`` (4429, the "4408-style"
close of the real-time spec) and the client resumes by cursor. ``overflowed`` is also set if
the log was pruned past the hub's position, so the listener cannot have every event.

Most callers want ``workchat.events.feed.follow`` (replay from a cursor, then live).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from workchat import metrics
from workchat.events.bus import BusDisconnected, BusMessage, EventBus
from workchat.events.log import CommittedEvent
from workchat.events.reads import PAGE_SIZE, LogReader
from workchat.events.signals import Signal
from workchat.lean_async import LeanEvent, LeanQueue

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
SIGNAL_BACKLOG = 64
INITIAL_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
# WebSocket close code for a subscriber that missed events (too slow, or pruned past).
SUBSCRIBER_TOO_SLOW = 4429


class SubscriberTooSlow(Exception):
    """The listener missed events; close its socket with ``close_code`` (the client resumes
    from its last cursor)."""

    close_code = SUBSCRIBER_TOO_SLOW


class Listener:
    __slots__ = (
        "_wakeup",
        "channel_id",
        "only_user",
        "overflowed",
        "queue",
        "signals",
        "start_seq",
    )

    def __init__(
        self,
        size: int,
        only_user: uuid.UUID | None = None,
        channel_id: uuid.UUID | None = None,
    ) -> None:
        # Set: only the events about this user, and no signals (a socket's session guard
        # needs nothing else; not waking it for every event of the org matters with
        # thousands of sockets).
        self.only_user = only_user
        # Set: only this channel's events and signals (the hub indexes listeners by it).
        self.channel_id = channel_id
        # Lean: allocated only while something is queued or waits (one per socket at least).
        self.queue: LeanQueue[CommittedEvent] = LeanQueue(maxsize=size)
        self.overflowed = LeanEvent()
        # Every event with a greater seq is (or will be) in the queue; set before listen()
        # hands the listener out.
        self.start_seq: int | None = None
        # Ephemeral signals not read yet: only the newest few matter (typing, presence).
        # Built on the first one (a session guard never gets any).
        self.signals: deque[Signal] | tuple[()] = ()
        self._wakeup = LeanEvent()

    def wants(self, event: CommittedEvent) -> bool:
        return (self.only_user is None or event.user_id == self.only_user) and (
            self.channel_id is None or event.channel_id == self.channel_id
        )

    def offer(self, event: CommittedEvent) -> bool:
        """Queue the event if this listener wants it; True when it was queued. (The hub
        counts deliveries once per event, not once per listener.)"""
        if self.overflowed.is_set() or not self.wants(event):
            return False
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            metrics.EVENTS_DROPPED.labels("subscriber_too_slow").inc()
            self.overflowed.set()
            self._wakeup.set()
            return False
        self._wakeup.set()
        return True

    def signal(self, signal: Signal) -> None:
        if self.only_user is not None:
            return
        if self.channel_id is not None and signal.channel_id != self.channel_id:
            return
        signals = self.signals
        if not isinstance(signals, deque):
            signals = self.signals = deque(maxlen=SIGNAL_BACKLOG)
        signals.append(signal)
        self._wakeup.set()

    def idle(self) -> bool:
        """Nothing waiting to be read, and nothing missed."""
        return self.queue.empty() and not self.signals and not self.overflowed.is_set()

    def drain(self) -> None:
        """Drop what is waiting (for owners that only need to know that something came)."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.signals = ()

    def miss(self) -> None:
        """Mark that this listener cannot have every event any more."""
        self.overflowed.set()
        self._wakeup.set()

    async def next(self) -> CommittedEvent | Signal:
        """The next event (in seq order) or signal; events first when both wait."""
        while True:
            if self.overflowed.is_set():
                raise SubscriberTooSlow("too slow to keep up")
            if not self.queue.empty():
                return self.queue.get_nowait()
            signals = self.signals
            if isinstance(signals, deque) and signals:
                signal = signals.popleft()
                if not signals:
                    self.signals = ()
                return signal
            self._wakeup.clear()
            await self._wakeup.wait()


class Watch(Listener):
    """A listener that is called instead of queueing: ``on_event`` for each event it wants
    (in the hub's delivery loop: it must be quick and must not raise), ``on_miss`` when it
    cannot have every event any more. No task waits on it, so an owner that only reacts to
    rare events (a socket's session guard) holds no task, queue or wakeup while idle."""

    __slots__ = ("_on_event", "_on_miss")

    def __init__(
        self,
        on_event: Callable[[CommittedEvent], None],
        on_miss: Callable[[], None],
        only_user: uuid.UUID | None = None,
    ) -> None:
        super().__init__(0, only_user=only_user)
        self._on_event = on_event
        self._on_miss = on_miss

    def offer(self, event: CommittedEvent) -> bool:
        if not self.wants(event):
            return False
        try:
            self._on_event(event)
        except Exception:  # the hub goes on delivering to everyone else
            log.exception("an event watcher failed")
        return True

    def signal(self, signal: Signal) -> None:
        pass

    def miss(self) -> None:
        super().miss()
        self._on_miss()


class _OrgFeed:
    """An org's listeners, indexed so an event wakes only those that can want it: the
    org-wide ones, its channel's, and its user's session guards."""

    def __init__(self) -> None:
        self.listeners: set[Listener] = set()  # all of them
        self.org_wide: set[Listener] = set()  # no channel and no user restriction
        self.by_channel: dict[uuid.UUID, set[Listener]] = {}
        self.by_user: dict[uuid.UUID, set[Listener]] = {}
        self.ready = asyncio.Event()  # first subscription live and last_seq known
        self.last_seq = 0
        self.task: asyncio.Task[None] | None = None

    def _index(self, listener: Listener) -> set[Listener] | None:
        if listener.only_user is not None:
            return self.by_user.setdefault(listener.only_user, set())
        if listener.channel_id is not None:
            return self.by_channel.setdefault(listener.channel_id, set())
        return self.org_wide

    def add(self, listener: Listener) -> None:
        self.listeners.add(listener)
        index = self._index(listener)
        assert index is not None
        index.add(listener)

    def discard(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        for key, table in (
            (listener.only_user, self.by_user),
            (listener.channel_id, self.by_channel),
        ):
            if key is not None:
                members = table.get(key)
                if members is not None:
                    members.discard(listener)
                    if not members:
                        del table[key]
                return
        self.org_wide.discard(listener)

    def for_event(self, event: CommittedEvent) -> list[Listener]:
        """The listeners that may want ``event`` (each still checks ``wants``)."""
        found = list(self.org_wide)
        if event.channel_id is not None and (channel := self.by_channel.get(event.channel_id)):
            found.extend(channel)
        if event.user_id is not None and (user := self.by_user.get(event.user_id)):
            found.extend(user)
        return found

    def for_signal(self, signal: Signal) -> list[Listener]:
        found = list(self.org_wide)
        if signal.channel_id is not None and (channel := self.by_channel.get(signal.channel_id)):
            found.extend(channel)
        return found


class EventHub:
    def __init__(self, bus: EventBus, log: LogReader, *, queue_size: int = QUEUE_SIZE) -> None:
        self._bus = bus
        self.log = log
        self._queue_size = queue_size
        self._feeds: dict[uuid.UUID, _OrgFeed] = {}

    @property
    def queue_size(self) -> int:
        return self._queue_size

    def position(self, org_id: uuid.UUID) -> int | None:
        """The seq of the org's last event offered to its listeners (None: not followed)."""
        feed = self._feeds.get(org_id)
        return feed.last_seq if feed is not None and feed.ready.is_set() else None

    @asynccontextmanager
    async def listen(
        self,
        org_id: uuid.UUID,
        *,
        only_user: uuid.UUID | None = None,
        channel_id: uuid.UUID | None = None,
    ) -> AsyncIterator[Listener]:
        """Receive the org's events while inside; the bus subscription is live on entry and
        ``listener.start_seq`` says from where the listener's stream is complete. With
        ``only_user``, only events whose ``user_id`` is that user (and no signals); with
        ``channel_id``, only that channel's events and signals."""
        feed = self._feeds.get(org_id)
        if feed is None:
            feed = self._feeds[org_id] = _OrgFeed()
            feed.task = asyncio.create_task(self._pump(org_id, feed))
        listener = Listener(self._queue_size, only_user, channel_id)
        if feed.ready.is_set():
            listener.start_seq = feed.last_seq  # no await since: nothing delivered between
        feed.add(listener)
        try:
            await feed.ready.wait()
            yield listener
        finally:
            feed.discard(listener)
            if not feed.listeners and self._feeds.get(org_id) is feed:
                await self._stop(org_id)

    async def attach(self, org_id: uuid.UUID, watch: Watch) -> None:
        """``listen`` without the context: ``watch`` is called for the org's events from
        when this returns until ``detach``."""
        feed = self._feeds.get(org_id)
        if feed is None:
            feed = self._feeds[org_id] = _OrgFeed()
            feed.task = asyncio.create_task(self._pump(org_id, feed))
        if feed.ready.is_set():
            watch.start_seq = feed.last_seq
        feed.add(watch)
        try:
            await feed.ready.wait()
        except BaseException:
            await self.detach(org_id, watch)
            raise

    async def detach(self, org_id: uuid.UUID, watch: Watch) -> None:
        feed = self._feeds.get(org_id)
        if feed is None:
            return
        feed.discard(watch)
        if not feed.listeners:
            await self._stop(org_id)

    async def _stop(self, org_id: uuid.UUID) -> None:
        """Cancel the org's pump and wait until it has let go of its connections (a pump
        cancelled mid-read and left behind could outlive the database engine)."""
        feed = self._feeds.pop(org_id, None)
        if feed is not None and feed.task is not None:
            feed.task.cancel()
            # wait() does not raise the pump's CancelledError, only our own cancellation.
            await asyncio.wait({feed.task})

    async def _pump(self, org_id: uuid.UUID, feed: _OrgFeed) -> None:
        backoff = INITIAL_BACKOFF_SECONDS
        while True:
            try:
                async with self._bus.subscribe_org(org_id) as subscription:
                    if feed.ready.is_set():
                        # Resubscribed: whatever was published meanwhile is in the log.
                        await self._backfill(org_id, feed)
                    else:
                        feed.last_seq = await self.log.head_seq(org_id)
                        for listener in feed.listeners:
                            if listener.start_seq is None:
                                listener.start_seq = feed.last_seq
                        feed.ready.set()
                    backoff = INITIAL_BACKOFF_SECONDS
                    while True:
                        await self._receive(org_id, feed, await subscription.get())
            except asyncio.CancelledError:
                raise
            except BusDisconnected as exc:
                log.warning("event feed for org %s: %s; resubscribing", org_id, exc)
            except Exception:
                log.exception("event feed for org %s failed; resubscribing", org_id)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _receive(self, org_id: uuid.UUID, feed: _OrgFeed, message: BusMessage) -> None:
        if isinstance(message, Signal):
            for listener in feed.for_signal(message):
                listener.signal(message)
            return
        if message.seq <= feed.last_seq:
            return  # already delivered (from the log, or twice on the bus)
        if isinstance(message, CommittedEvent) and message.prev_seq == feed.last_seq:
            self._deliver(feed, message)
            return
        # A gap (a message was dropped) or a reference to a large event: the log has both.
        await self._backfill(org_id, feed)
        if message.seq > feed.last_seq:
            log.warning("event %s of org %s is not in the log yet", message.seq, org_id)
            if isinstance(message, CommittedEvent):
                self._deliver(feed, message)

    async def _backfill(self, org_id: uuid.UUID, feed: _OrgFeed) -> None:
        if await self.log.cursor_expired(org_id, feed.last_seq):
            log.warning("events of org %s were pruned before delivery", org_id)
            for listener in tuple(feed.listeners):
                listener.miss()
        while True:
            page = await self.log.read_after(org_id, feed.last_seq, limit=PAGE_SIZE)
            for event in page:
                self._deliver(feed, event)
            if len(page) < PAGE_SIZE:
                return

    def _deliver(self, feed: _OrgFeed, event: CommittedEvent) -> None:
        feed.last_seq = event.seq
        metrics.observe_lag(event.created_at)
        delivered = 0
        for listener in feed.for_event(event):
            start = listener.start_seq
            if start is not None and event.seq > start and listener.offer(event):
                delivered += 1
        if delivered:
            metrics.EVENTS_DELIVERED.inc(delivered)

    async def close(self) -> None:
        for org_id in list(self._feeds):
            await self._stop(org_id)
