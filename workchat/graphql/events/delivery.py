"""One delivery task per group of identical ``channelEvents`` subscribers.

Grouping (``grouping.py``) executes and encodes an event once per group, but each subscriber
still woke for every event: its own hub listener, its generator chain through Strawberry, an
executor copy and a wait on the shared result, then the ASGI send. Here, once a subscriber
has caught up with the live stream (replay done, nothing waiting), it hands over to its
group's delivery task and its own task sleeps. Per event the group task executes the event
once and writes the frame (the operation id spliced in) to every member's socket
(``OperationSink.write_now``): no per-subscriber task wakeup, generator or executor copy.

Per-subscriber work stays where the semantics need it: events that can take the channel
away (``ACCESS_CHANGING``), typing signals, and any result that is not a plain shared one
(errors) are handed to each member's own task, which handles them exactly as before
(``subscriptions.py``). A member's items and frames keep their order: once something waits
for its task (or its socket is paused, or busy), later frames queue behind it.

Bounds (the slow-consumer rule of ADR 0010): a member's queue holds at most the hub's
queue size (1,000 events by default); a member that falls that far behind (its socket stops
draining) is closed with 4429 like an overflowing listener. The group's own listener has
the same bound; a group that falls behind closes all its members with 4429, and they
resume by cursor. docs/adr/0020-subscription-fan-out.md.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections import deque
from collections.abc import Hashable
from typing import Any

from graphql import ExecutionResult

from workchat import metrics
from workchat.events.fanout import Fanout
from workchat.events.feed import CaughtUp
from workchat.events.hub import EventHub, SubscriberTooSlow
from workchat.events.log import CommittedEvent
from workchat.events.signals import Signal
from workchat.graphql.events.channel_stream import ACCESS_CHANGING, channel_event
from workchat.graphql.events.grouping import SUBSCRIBING_EXECUTOR, SharedData, SharedEventExecutor
from workchat.graphql.ws_frames import CURRENT_SINK, OperationSink
from workchat.lean_async import LeanEvent

log = logging.getLogger(__name__)

# What a member's own task is handed: an event or signal to handle itself, or a frame's
# payload it must send the regular way (its socket could not take it at once).
Item = CommittedEvent | Signal | bytes


class Member:
    """One subscription delivered by a group."""

    __slots__ = ("_wakeup", "busy", "executor", "limit", "overflowed", "pending", "sink", "start")

    def __init__(
        self, executor: SharedEventExecutor, sink: OperationSink, start: int, limit: int
    ) -> None:
        self.executor = executor
        self.sink = sink
        self.start = start  # events at or below this seq reached it before it joined
        self.limit = limit
        # Built when something is handed over (a parked member holds no deque: ADR 0020).
        self.pending: deque[Item] | tuple[()] = ()
        self.busy = False  # its task is handling an item it took
        self.overflowed = False
        self._wakeup = LeanEvent()

    def deliver(self, payload: bytes, frames: dict[bytes, bytes]) -> None:
        if self.pending or self.busy or not self.sink.write_now(payload, frames):
            self.hand(payload)

    def hand(self, item: Item) -> None:
        if self.overflowed:
            return
        if len(self.pending) >= self.limit:
            metrics.EVENTS_DROPPED.labels("subscriber_too_slow").inc()
            self.miss()
            return
        pending = self.pending
        if not isinstance(pending, deque):
            pending = self.pending = deque()
        pending.append(item)
        self._wakeup.set()

    def miss(self) -> None:
        self.overflowed = True
        self._wakeup.set()

    async def next(self) -> CommittedEvent | Signal:
        """The next item for the member's own task; frames are sent on the way."""
        self.busy = False
        while True:
            if self.overflowed:
                raise SubscriberTooSlow("too slow to keep up")
            pending = self.pending
            if not isinstance(pending, deque) or not pending:
                self.pending = ()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            item = pending.popleft()
            self.busy = True
            if isinstance(item, bytes):
                await self.sink.send(item)  # waits while the socket is paused
                self.busy = False
                continue
            return item


class DeliveryGroup:
    """The members of one group on one channel, and the task delivering to them."""

    def __init__(
        self,
        fanout: Fanout,
        key: Hashable,
        hub: EventHub,
        org_id: uuid.UUID,
        channel_id: uuid.UUID,
    ) -> None:
        self._groups: dict[Hashable, DeliveryGroup] = fanout.groups
        self._stats = fanout.stats
        self._key = key
        self._hub = hub
        self.org_id = org_id
        self._channel_id = channel_id
        self.members: dict[Member, None] = {}  # in joining order
        self.users = 0  # subscriptions joined or about to join
        self.ready = asyncio.Event()
        self.alive = True
        # A context of its own: nothing of the subscription that happened to create it.
        self._task = asyncio.create_task(self._run(), context=contextvars.Context())

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            self._retire()
            self._task.cancel()

    def _retire(self) -> None:
        self.alive = False
        if self._groups.get(self._key) is self:
            del self._groups[self._key]

    async def _run(self) -> None:
        try:
            async with self._hub.listen(self.org_id, channel_id=self._channel_id) as listener:
                self.ready.set()
                while True:
                    try:
                        item = await listener.next()
                    except SubscriberTooSlow:
                        return  # the members close with 4429 and resume by cursor
                    await self._deliver(item)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery to a channel's subscribers failed")
        finally:
            self._retire()
            self.ready.set()
            for member in self.members:
                member.miss()

    async def _deliver(self, item: CommittedEvent | Signal) -> None:
        if isinstance(item, Signal):
            for member in tuple(self.members):
                member.hand(item)  # typing: filtered per viewer by its own task
            return
        targets = [m for m in self.members if item.seq > m.start]
        if not targets:
            return
        node = None if isinstance(item.event, ACCESS_CHANGING) else channel_event(item)
        payload = await self._execute(node, targets[0].executor) if node is not None else None
        if payload is None:
            for member in targets:
                member.hand(item)  # handled by each member's task, as an unshared stream
            return
        # The execution counted one subscriber served (executed or reused); these the rest.
        self._stats.reused(len(targets) - 1)
        frames: dict[bytes, bytes] = {}
        for member in targets:
            member.deliver(payload, frames)

    @staticmethod
    async def _execute(root: Any, executor: SharedEventExecutor) -> bytes | None:
        """The event executed once for the group (``grouping``), or None when the result is
        not one every member can be sent as it is (errors: formatted per subscriber)."""
        try:
            # Its own operation scope: fresh DataLoaders for this event, of this task.
            with executor.context_value.operation():
                result = executor.build_per_event_executor(root).execute_operation(False)
                if executor.is_awaitable(result):
                    result = await result
        except Exception:
            log.exception("executing a subscription event for a group failed")
            return None  # each member's own stream executes it and reports the error
        if isinstance(result, ExecutionResult) and isinstance(result.data, SharedData):
            return None if result.errors else result.data.payload
        return None


class GroupDelivery:
    """One subscription's way into its group: ``join`` once caught up, then ``next``."""

    __slots__ = (
        "_channel_id",
        "_executor",
        "_fanout",
        "_group",
        "_hub",
        "_key",
        "_org_id",
        "_sink",
        "member",
    )

    def __init__(
        self,
        fanout: Fanout,
        key: Hashable,
        hub: EventHub,
        org_id: uuid.UUID,
        channel_id: uuid.UUID,
        executor: SharedEventExecutor,
        sink: OperationSink,
    ) -> None:
        self._fanout = fanout
        self._key = key
        self._hub = hub
        self._org_id = org_id
        self._channel_id = channel_id
        self._executor = executor
        self._sink = sink
        self._group: DeliveryGroup | None = None
        self.member: Member | None = None

    async def join(self, caught_up: CaughtUp) -> bool:
        """Hand over to the group; False when not possible now (the caller goes on)."""
        group = self._group
        if group is None or not group.alive:
            if group is not None:
                group.release()
            group = self._fanout.groups.get(self._key)
            if group is None:
                group = DeliveryGroup(
                    self._fanout, self._key, self._hub, self._org_id, self._channel_id
                )
                self._fanout.groups[self._key] = group
            group.users += 1
            self._group = group
        await group.ready.wait()
        position = self._hub.position(self._org_id)
        if not group.alive or position is None or not caught_up.idle():
            return False
        # No await from here: everything up to ``start`` reached this subscriber through
        # its own listener, everything after reaches the group's.
        start = max(caught_up.position, position)
        self.member = Member(self._executor, self._sink, start, self._hub.queue_size)
        group.members[self.member] = None
        return True

    async def next(self) -> CommittedEvent | Signal:
        assert self.member is not None
        return await self.member.next()

    def leave(self) -> None:
        group, self._group = self._group, None
        if group is not None:
            if self.member is not None:
                group.members.pop(self.member, None)
            group.release()


def group_delivery(context: Any, channel_id: uuid.UUID) -> GroupDelivery | None:
    """The group delivery for the running ``channelEvents`` subscription; None when it is
    not served over graphql-transport-ws or events are not shared."""
    fanout = context.services.fanout
    executor = SUBSCRIBING_EXECUTOR.get()
    sink = CURRENT_SINK.get()
    if not fanout.enabled or executor is None or sink is None:
        return None
    viewer = context.viewer
    key = (executor.fanout_group, channel_id)
    return GroupDelivery(
        fanout, key, context.services.hub, viewer.org_id, channel_id, executor, sink
    )
