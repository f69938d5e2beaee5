"""The hub: one bus subscription per org per process, bounded listeners, resubscription."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from tests.events.test_bus import sample_event
from workchat.events.bus import EventBus
from workchat.events.hub import EventHub
from workchat.events.log import CommittedEvent


@pytest.fixture
async def bus() -> AsyncIterator[EventBus]:
    bus = EventBus("memory://")
    await bus.connect()
    yield bus
    await bus.disconnect()


async def test_one_subscription_fans_out(bus: EventBus, monkeypatch: pytest.MonkeyPatch) -> None:
    subscriptions = 0
    original = bus.subscribe_org

    @asynccontextmanager
    async def counting(org_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[CommittedEvent]]:
        nonlocal subscriptions
        subscriptions += 1
        async with original(org_id) as queue:
            yield queue

    monkeypatch.setattr(bus, "subscribe_org", counting)
    hub = EventHub(bus)
    org = uuid.uuid4()
    async with hub.listen(org) as first, hub.listen(org) as second:
        await bus.publish([sample_event(org, 1)])
        got = [await asyncio.wait_for(listener.queue.get(), 5) for listener in (first, second)]
    assert [event.seq for event in got] == [1, 1]
    assert subscriptions == 1
    await hub.close()


async def test_a_slow_listener_is_marked_not_grown(bus: EventBus) -> None:
    hub = EventHub(bus, queue_size=2)
    org = uuid.uuid4()
    async with hub.listen(org) as slow, hub.listen(org) as fast:
        await bus.publish([sample_event(org, seq) for seq in range(1, 4)])
        seen = [await asyncio.wait_for(fast.queue.get(), 5) for _ in range(2)]
        await asyncio.wait_for(slow.overflowed.wait(), 5)
    assert slow.queue.qsize() == 2
    assert [e.seq for e in seen] == [1, 2]
    await hub.close()


async def test_resubscribes_after_a_bus_failure(
    bus: EventBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = bus.subscribe_org
    attempts = 0

    @asynccontextmanager
    async def flaky(org_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[CommittedEvent]]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("broker went away")
        async with original(org_id) as queue:
            yield queue

    monkeypatch.setattr(bus, "subscribe_org", flaky)
    monkeypatch.setattr("workchat.events.hub.asyncio.sleep", _no_sleep)
    hub = EventHub(bus)
    org = uuid.uuid4()
    async with hub.listen(org) as listener:
        await bus.publish([sample_event(org, 7)])
        event = await asyncio.wait_for(listener.queue.get(), 5)
    assert (event.seq, attempts) == (7, 2)
    await hub.close()


_real_sleep = asyncio.sleep


async def _no_sleep(_: float) -> None:
    await _real_sleep(0)
