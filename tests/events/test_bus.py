"""The bus carries committed events as strings, in-process and across processes (Redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.support.settings import PASSWORD, REDIS_URL
from workchat.actions.orgs import create_org
from workchat.actions.users import create_user
from workchat.auth.viewer import system
from workchat.events import catalogue as ev
from workchat.events.bus import EventBus
from workchat.events.log import CommittedEvent
from workchat.services import Services

BUS_URLS = ["memory://"] + ([REDIS_URL] if REDIS_URL else [])


def sample_event(org_id: uuid.UUID, seq: int) -> CommittedEvent:
    return CommittedEvent(
        seq=seq,
        org_id=org_id,
        type="probe",
        payload={"n": seq, "text": "héllo"},
        channel_id=None,
        user_id=uuid.uuid4(),
        created_at=datetime.now(UTC),
    )


def test_event_json_round_trip() -> None:
    event = sample_event(uuid.uuid4(), 7)
    assert CommittedEvent.from_json(event.to_json()) == event


@pytest.fixture(params=BUS_URLS)
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    bus = EventBus(request.param)
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.disconnect()


async def _subscribed(
    bus: EventBus, org_id: uuid.UUID, queue: asyncio.Queue[CommittedEvent]
) -> None:
    """Publish probes until one arrives: the subscription is then live (no fixed sleep)."""
    for attempt in range(100):
        await bus.publish([sample_event(org_id, -1 - attempt)])
        try:
            await asyncio.wait_for(queue.get(), timeout=0.05)
            return
        except TimeoutError:
            continue
    raise AssertionError("subscription never became live")


async def test_publish_reaches_subscribers_of_that_org_only(bus: EventBus) -> None:
    org, other = uuid.uuid4(), uuid.uuid4()
    async with bus.subscribe_org(org) as queue, bus.subscribe_org(other) as other_queue:
        await _subscribed(bus, org, queue)
        await _subscribed(bus, other, other_queue)
        while not queue.empty():
            queue.get_nowait()
        await bus.publish([sample_event(org, 1), sample_event(org, 2)])
        received = [await asyncio.wait_for(queue.get(), timeout=5) for _ in range(2)]
    assert [event.seq for event in received] == [1, 2]
    assert received[0].payload == {"n": 1, "text": "héllo"}
    assert other_queue.empty()


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
        async with listener.subscribe_org(org.id) as queue:
            await _subscribed(listener, org.id, queue)
            user = await create_user(
                services,
                system(),
                org_id=org.id,
                email="r@example.com",
                display_name="R",
                password=PASSWORD,
            )
            event = await asyncio.wait_for(queue.get(), timeout=5)
            while event.type != "user.created":
                event = await asyncio.wait_for(queue.get(), timeout=5)
        assert event.event == ev.UserCreated(org_id=org.id, user_id=user.id)
        assert event.seq > 0
    finally:
        await listener.disconnect()
