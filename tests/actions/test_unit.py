"""The unit of work: rows, audit entry and event rows commit together; publish after commit."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.db import count_rows, snapshot
from workchat.actions.orgs import create_org
from workchat.actions.unit import unit_of_work
from workchat.auth.viewer import Viewer, system
from workchat.db.models import AuditEntry, Event, Org
from workchat.errors import Forbidden
from workchat.events import catalogue as ev
from workchat.events.log import CommittedEvent
from workchat.services import Services


async def test_event_is_published_after_commit_with_its_seq(services: Services) -> None:
    seen: list[tuple[CommittedEvent, int]] = []
    original = services.bus.publish

    async def spy(events: list[CommittedEvent]) -> None:
        # What a subscriber woken now could read from the log: the rows must be committed.
        for event in events:
            seen.append((event, await count_rows(services, Event, seq=event.seq)))
        await original(events)

    services.bus.publish = spy  # type: ignore[method-assign]
    org = await create_org(services, system(), "Published")
    assert [(e.type, e.org_id, committed) for e, committed in seen] == [
        ("org.created", org.id, 1),
        ("channel.created", org.id, 1),
    ]


async def test_bus_delivers_the_committed_event(services: Services) -> None:
    operator = system()
    org = await create_org(services, operator, "Listener")
    async with services.bus.subscribe_org(org.id) as queue:
        await asyncio.sleep(0)  # let the subscription register with the backend
        from workchat.actions.users import create_user

        user = await create_user(
            services,
            operator,
            org_id=org.id,
            email="l@example.com",
            display_name="L",
            password="long enough",
        )
        # The org's own creation event may still be in flight on the bus: skip to ours.
        event = await asyncio.wait_for(queue.get(), timeout=5)
        while event.type != "user.created":
            event = await asyncio.wait_for(queue.get(), timeout=5)
    assert event.event == ev.UserCreated(org_id=org.id, user_id=user.id)
    assert event.seq == (await count_rows(services, Event)) and event.seq > 0


async def test_an_exception_rolls_back_rows_audit_and_events(services: Services) -> None:
    before = await snapshot(services)
    published: list[object] = []
    services.bus.publish = lambda events: published.append(events)  # type: ignore[assignment,method-assign,return-value]
    with pytest.raises(RuntimeError):
        async with unit_of_work(services, system()) as unit:
            org = Org(name="Doomed")
            unit.session.add(org)
            await unit.session.flush()
            unit.audit(org.id, "org.create", "org", org.id, after={"name": "Doomed"})
            unit.emit(ev.OrgCreated(org_id=org.id, name="Doomed"))
            raise RuntimeError("boom")
    assert await snapshot(services) == before
    assert published == []


async def test_publish_failure_does_not_undo_the_commit(services: Services) -> None:
    async def broken(events: list[CommittedEvent]) -> None:
        raise ConnectionError("bus down")

    services.bus.publish = broken  # type: ignore[method-assign]
    org = await create_org(services, system(), "Durable")
    assert await count_rows(services, Org, id=org.id) == 1
    assert await count_rows(services, AuditEntry, org_id=org.id) == 1
    assert await count_rows(services, Event, org_id=org.id) == 2  # org.created, channel.created


async def test_read_only_credentials_cannot_write(services: Services) -> None:
    org = await create_org(services, system(), "ReadOnly")
    reader = Viewer(user_id=org.id, org_id=org.id, role="member", scopes=frozenset({"read"}))
    with pytest.raises(Forbidden):
        async with unit_of_work(services, reader):
            pass
