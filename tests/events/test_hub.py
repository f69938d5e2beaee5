"""The hub: one bus subscription per org per process, a gapless and duplicate-free stream
for its listeners (backfilled from the log after a dropped message, a reconnect or a large
event), bounded listeners."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.events.helpers import age_events, drop_on_bus, receive, write_events
from tests.events.test_bus import _kill_connection
from tests.support.personas import Personas
from tests.support.settings import POSTGRES_URL, REDIS_URL
from workchat.db.base import utcnow
from workchat.events.bus import BusSubscription, EventBus, EventRef
from workchat.events.hub import SUBSCRIBER_TOO_SLOW, EventHub, SubscriberTooSlow
from workchat.events.reads import EventLog
from workchat.events.retention import prune_events
from workchat.services import Services

_real_sleep = asyncio.sleep


async def _no_sleep(_: float) -> None:
    await _real_sleep(0)


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("workchat.events.hub.asyncio.sleep", _no_sleep)


async def _use_bus(services: Services, url: str) -> None:
    """Point the services (actions publish, hub subscribes) at another bus."""
    await services.hub.close()
    await services.bus.disconnect()
    services.settings = replace(services.settings, broadcast_url=url)
    services.bus = EventBus(url)
    await services.bus.connect()
    services.hub = EventHub(services.bus, EventLog(services.db))


async def test_one_subscription_fans_out(
    services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriptions = 0
    original = services.bus.subscribe_org

    @asynccontextmanager
    async def counting(org_id: uuid.UUID) -> AsyncIterator[BusSubscription]:
        nonlocal subscriptions
        subscriptions += 1
        async with original(org_id) as subscription:
            yield subscription

    monkeypatch.setattr(services.bus, "subscribe_org", counting)
    org = personas.alice.org_id
    async with services.hub.listen(org) as first, services.hub.listen(org) as second:
        assert first.start_seq == second.start_seq == await services.hub.log.head_seq(org)
        written = await write_events(services, org, 2)
        got = [await receive(listener, 2) for listener in (first, second)]
    assert got == [written, written]
    assert subscriptions == 1


async def test_a_dropped_message_is_backfilled_from_the_log(
    services: Services, personas: Personas
) -> None:
    org = personas.alice.org_id
    dropped = drop_on_bus(services, lambda event: event.payload["n"] in (1, 2))
    async with services.hub.listen(org) as listener:
        written = await write_events(services, org, 4)
        got = await receive(listener, 4)
        assert listener.queue.empty()
    assert dropped == [written[1].seq, written[2].seq]
    assert [e.seq for e in got] == [e.seq for e in written]
    assert [e.payload for e in got] == [e.payload for e in written]


async def test_duplicates_are_dropped(services: Services, personas: Personas) -> None:
    org = personas.alice.org_id
    async with services.hub.listen(org) as listener:
        first = await write_events(services, org, 3)
        await services.bus.publish(first)  # the bus delivers them again
        await services.bus.publish(first[:1])
        last = await write_events(services, org, 1)
        got = await receive(listener, 4)
        assert listener.queue.empty()
    assert [e.seq for e in got] == [e.seq for e in first + last]


async def test_events_before_listening_are_not_delivered(
    services: Services, personas: Personas
) -> None:
    org = personas.alice.org_id
    async with services.hub.listen(org) as warm:  # the org's feed is already running
        earlier = await write_events(services, org, 2)
        assert await receive(warm, 2) == earlier
        async with services.hub.listen(org) as late:
            assert late.start_seq == earlier[-1].seq
            later = await write_events(services, org, 1)
            assert await receive(late, 1) == later


async def test_a_broken_subscription_is_renewed_and_backfilled(
    services: Services, personas: Personas, fast_backoff: None
) -> None:
    """Events published while the subscription was down (the bus lost them) arrive after the
    hub resubscribes, with no later event needed to reveal the gap."""
    org = personas.alice.org_id
    async with services.hub.listen(org) as listener:
        lost = drop_on_bus(services, lambda event: True)
        written = await write_events(services, org, 3)
        backend = services.bus._backend
        assert backend is not None
        services.bus._drop(backend)  # what the bus does when its connection fails
        got = await receive(listener, 3)
    assert lost == [e.seq for e in written]
    assert [e.seq for e in got] == [e.seq for e in written]


async def test_resubscribes_after_subscribing_failed(
    services: Services, personas: Personas, fast_backoff: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = services.bus.subscribe_org
    attempts = 0

    @asynccontextmanager
    async def flaky(org_id: uuid.UUID) -> AsyncIterator[BusSubscription]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("broker went away")
        async with original(org_id) as subscription:
            yield subscription

    monkeypatch.setattr(services.bus, "subscribe_org", flaky)
    org = personas.alice.org_id
    async with services.hub.listen(org) as listener:
        written = await write_events(services, org, 1)
        got = await receive(listener, 1)
    assert (got, attempts) == (written, 2)


async def test_a_slow_listener_is_marked_not_grown(services: Services, personas: Personas) -> None:
    hub = EventHub(services.bus, services.hub.log, queue_size=2)
    org = personas.alice.org_id
    async with hub.listen(org) as slow, hub.listen(org) as fast:
        written = await write_events(services, org, 3)
        seen = [await asyncio.wait_for(fast.queue.get(), 5) for _ in range(2)]
        await asyncio.wait_for(slow.overflowed.wait(), 5)
        with pytest.raises(SubscriberTooSlow) as raised:
            await slow.next()
    assert raised.value.close_code == SUBSCRIBER_TOO_SLOW == 4429
    assert slow.queue.qsize() == 2
    assert seen == written[:2]
    await hub.close()


async def test_listeners_are_told_when_the_log_was_pruned_past_the_hub(
    services: Services, personas: Personas
) -> None:
    org = personas.alice.org_id
    async with services.hub.listen(org) as listener:
        drop_on_bus(services, lambda event: event.payload["text"] == "lost")
        lost = await write_events(services, org, 1, text="lost")
        await age_events(services, range(lost[0].seq + 1), utcnow() - timedelta(days=30))
        await prune_events(services.db, older_than=utcnow() - timedelta(days=7))
        await write_events(services, org, 1)
        with pytest.raises(SubscriberTooSlow):
            await asyncio.wait_for(listener.next(), 10)


NETWORK_BUSES = [url for url in (REDIS_URL, POSTGRES_URL) if url]


@pytest.mark.parametrize("bus_url", NETWORK_BUSES)
async def test_after_a_killed_bus_connection_the_hub_backfills(
    services: Services, personas: Personas, bus_url: str, fast_backoff: None
) -> None:
    await _use_bus(services, bus_url)
    org = personas.alice.org_id
    async with services.hub.listen(org) as listener:
        before = await write_events(services, org, 1)
        assert await receive(listener, 1) == before
        await _kill_connection(services.bus)
        during = await write_events(services, org, 2)  # may or may not make it onto the bus
        after = await write_events(services, org, 1)
        got = await receive(listener, 3)
        assert listener.queue.empty()
    assert [e.seq for e in got] == [e.seq for e in during + after]


@pytest.mark.skipif(not POSTGRES_URL, reason="WORKCHAT_TEST_POSTGRES_URL is not set")
async def test_a_large_event_over_postgres_notify_arrives_complete(
    services: Services, personas: Personas
) -> None:
    assert POSTGRES_URL is not None
    await _use_bus(services, POSTGRES_URL)
    org = personas.alice.org_id
    wire: list[object] = []
    async with services.bus.subscribe_org(org) as raw, services.hub.listen(org) as listener:
        big = await write_events(services, org, 1, text="ß" * 12_000)
        small = await write_events(services, org, 1)
        got = await receive(listener, 2)
        wire = [await asyncio.wait_for(raw.get(), 5) for _ in range(2)]
    assert got[0].payload == {"org_id": str(org), "n": 0, "text": "ß" * 12_000}
    assert [e.seq for e in got] == [big[0].seq, small[0].seq]
    assert isinstance(wire[0], EventRef)  # it crossed NOTIFY as a reference
    assert wire[1] == small[0]
