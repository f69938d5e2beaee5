"""The bus carries committed events as strings, in-process and across processes (Redis,
PostgreSQL); a large event travels as a reference over NOTIFY; a broken connection ends
subscriptions with BusDisconnected and the next subscription reconnects."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest
import redis.asyncio as redis

from tests.support.settings import PASSWORD, POSTGRES_URL, REDIS_URL
from workchat.actions.orgs import create_org
from workchat.actions.users import create_user
from workchat.auth.viewer import system
from workchat.events import catalogue as ev
from workchat.events.bus import (
    POSTGRES_PAYLOAD_LIMIT,
    BusDisconnected,
    BusSubscription,
    EventBus,
    EventRef,
    PostgresBus,
    RedisBus,
    decode_message,
    encode_message,
)
from workchat.events.log import CommittedEvent
from workchat.services import Services

BUS_URLS = (
    ["memory://"]
    + ([REDIS_URL] if REDIS_URL else [])
    + ([POSTGRES_URL.replace("postgresql://", "postgres://")] if POSTGRES_URL else [])
)
NETWORK_BUS_URLS = [url for url in BUS_URLS if url != "memory://"]


def sample_event(org_id: uuid.UUID, seq: int, *, text: str = "héllo") -> CommittedEvent:
    return CommittedEvent(
        seq=seq,
        org_id=org_id,
        type="probe",
        payload={"n": seq, "text": text},
        channel_id=None,
        user_id=uuid.uuid4(),
        created_at=datetime.now(UTC),
        prev_seq=seq - 1,
    )


def test_event_json_round_trip() -> None:
    event = sample_event(uuid.uuid4(), 7)
    assert CommittedEvent.from_json(event.to_json()) == event
    assert decode_message(encode_message(event, POSTGRES_PAYLOAD_LIMIT)) == event


def test_a_large_event_is_encoded_as_a_small_reference() -> None:
    event = sample_event(uuid.uuid4(), 9, text="x" * 20_000)
    raw = encode_message(event, POSTGRES_PAYLOAD_LIMIT)
    assert len(raw.encode()) < 200
    assert decode_message(raw) == EventRef(seq=9, org_id=event.org_id, prev_seq=8, type="probe")
    assert decode_message(encode_message(event, None)) == event  # no limit: sent whole


@pytest.fixture(params=BUS_URLS)
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    bus = EventBus(request.param)
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.disconnect()


async def _subscribed(bus: EventBus, org_id: uuid.UUID, subscription: BusSubscription) -> None:
    """Publish probes until one arrives: the subscription is then live (no fixed sleep), and
    drain them."""
    for attempt in range(100):
        await bus.publish([sample_event(org_id, -1 - attempt)])
        try:
            await asyncio.wait_for(subscription.get(), timeout=0.05)
            break
        except TimeoutError:
            continue
    else:
        raise AssertionError("subscription never became live")
    while True:
        try:
            await asyncio.wait_for(subscription.get(), timeout=0.05)
        except TimeoutError:
            return


async def test_publish_reaches_subscribers_of_that_org_only(bus: EventBus) -> None:
    org, other = uuid.uuid4(), uuid.uuid4()
    async with bus.subscribe_org(org) as sub, bus.subscribe_org(other) as other_sub:
        await _subscribed(bus, org, sub)
        await _subscribed(bus, other, other_sub)
        await bus.publish([sample_event(org, 1), sample_event(org, 2)])
        received = [await asyncio.wait_for(sub.get(), timeout=5) for _ in range(2)]
        await bus.publish([sample_event(other, 3)])
        assert (await asyncio.wait_for(other_sub.get(), timeout=5)).seq == 3
    assert [event.seq for event in received] == [1, 2]
    assert isinstance(received[0], CommittedEvent)
    assert received[0].payload == {"n": 1, "text": "héllo"}


async def test_concurrent_publishes_all_arrive(bus: EventBus) -> None:
    """PostgreSQL: asyncpg runs one operation per connection; publishes must not collide."""
    org = uuid.uuid4()
    async with bus.subscribe_org(org) as sub:
        await _subscribed(bus, org, sub)
        await asyncio.gather(*(bus.publish([sample_event(org, n)]) for n in range(1, 21)))
        received = {(await asyncio.wait_for(sub.get(), timeout=5)).seq for _ in range(20)}
    assert received == set(range(1, 21))


@pytest.mark.parametrize("bus", NETWORK_BUS_URLS, indirect=True)
async def test_large_events_cross_as_references_over_postgres_only(bus: EventBus) -> None:
    org = uuid.uuid4()
    big = sample_event(org, 5, text="ü" * 10_000)
    async with bus.subscribe_org(org) as sub:
        await _subscribed(bus, org, sub)
        await bus.publish([big])
        received = await asyncio.wait_for(sub.get(), timeout=5)
    if bus.url.startswith("postgres"):
        assert received == EventRef(seq=5, org_id=org, prev_seq=4, type="probe")
    else:
        assert received == big


async def _kill_connection(bus: EventBus) -> None:
    """Break the bus's subscribing connection from the server side (only ours: other test
    runs share these servers)."""
    backend = bus._backend
    if isinstance(backend, RedisBus):
        host, port = backend._pubsub.connection._writer.get_extra_info("sockname")[:2]
        admin = redis.Redis.from_url(REDIS_URL)
        try:
            assert await admin.client_kill_filter(_type="pubsub", addr=f"{host}:{port}") == 1
        finally:
            await admin.aclose()
    elif isinstance(backend, PostgresBus):
        pid = backend._conn.get_server_pid()
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
    else:
        raise AssertionError(f"cannot break {backend!r}")


@pytest.mark.parametrize("bus", NETWORK_BUS_URLS, indirect=True)
async def test_a_lost_connection_ends_subscriptions_and_the_next_one_reconnects(
    bus: EventBus,
) -> None:
    org = uuid.uuid4()
    async with bus.subscribe_org(org) as sub:
        await _subscribed(bus, org, sub)
        await _kill_connection(bus)
        with pytest.raises(BusDisconnected):
            await asyncio.wait_for(sub.get(), timeout=10)
    async with bus.subscribe_org(org) as again:
        await _subscribed(bus, org, again)
        await bus.publish([sample_event(org, 11)])
        assert (await asyncio.wait_for(again.get(), timeout=5)).seq == 11


@pytest.mark.skipif(not REDIS_URL, reason="WORKCHAT_TEST_REDIS_URL is not set")
async def test_actions_publish_across_processes_through_redis(services: Services) -> None:
    """Two independent buses (two 'processes') on Redis: an action in one wakes the other."""
    assert REDIS_URL is not None
    services.bus = EventBus(REDIS_URL)
    services.settings = replace(services.settings, broadcast_url=REDIS_URL)
    await services.bus.connect()
    listener = EventBus(REDIS_URL)
    await listener.connect()
    try:
        org = await create_org(services, system(), "Redis Org")
        async with listener.subscribe_org(org.id) as sub:
            await _subscribed(listener, org.id, sub)
            user = await create_user(
                services,
                system(),
                org_id=org.id,
                email="r@example.com",
                display_name="R",
                password=PASSWORD,
            )
            event = await asyncio.wait_for(sub.get(), timeout=5)
            while event.type != "user.created":
                event = await asyncio.wait_for(sub.get(), timeout=5)
        assert isinstance(event, CommittedEvent)
        assert event.event == ev.UserCreated(org_id=org.id, user_id=user.id)
        assert event.seq > 0
        assert event.prev_seq is not None and event.prev_seq < event.seq
    finally:
        await listener.disconnect()
        await services.bus.disconnect()
