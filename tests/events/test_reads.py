"""Reading the log: pages after a position (by org, channel, user, type), the head, and
the per-org prev_seq chain written with every event."""

from __future__ import annotations

import asyncio
import uuid

from tests.events.helpers import write_events
from tests.support.personas import Personas, as_user
from workchat.actions.channels import create_channel
from workchat.events.log import CommittedEvent
from workchat.events.reads import EventFilter, EventLog, head_seq, read_after
from workchat.services import Services


async def test_read_after_pages_through_one_org_in_seq_order(
    services: Services, personas: Personas
) -> None:
    acme, evil = personas.alice.org_id, personas.eve.org_id
    start = await EventLog(services.db).head_seq(acme)
    mine = await write_events(services, acme, 3)
    await write_events(services, evil, 2)  # interleaved seqs of another org
    mine += await write_events(services, acme, 4)

    seen: list[CommittedEvent] = []
    pages = 0
    async with services.db.read_session() as session:
        position = start
        while True:
            page = await read_after(session, acme, position, limit=3)
            pages += 1
            seen += page
            if len(page) < 3:
                break
            position = page[-1].seq
        assert await head_seq(session, acme) == mine[-1].seq
    assert [e.seq for e in seen] == [e.seq for e in mine]
    assert {e.org_id for e in seen} == {acme}
    assert [e.payload["n"] for e in seen] == [0, 1, 2, 0, 1, 2, 3]
    assert pages == 3


async def test_read_after_filters_by_channel_user_type_and_upper_bound(
    services: Services, personas: Personas
) -> None:
    acme = personas.alice.org_id
    channel = await create_channel(services, as_user(personas.alice), name="reads")
    start = await EventLog(services.db).head_seq(acme)
    in_channel = await write_events(services, acme, 2, channel_id=channel.id)
    org_wide = await write_events(services, acme, 2)
    last = await write_events(services, acme, 1, channel_id=channel.id)
    log = EventLog(services.db)

    by_channel = await log.read_after(acme, start, where=EventFilter(channel_id=channel.id))
    assert [e.seq for e in by_channel] == [e.seq for e in in_channel + last]
    by_type = await log.read_after(acme, start, where=EventFilter(types=frozenset({"test.probe"})))
    assert [e.seq for e in by_type] == [e.seq for e in org_wide]
    both = EventFilter(channel_id=channel.id, types=frozenset({"test.channel_probe"}))
    assert [e.seq for e in await log.read_after(acme, start, where=both)] == [
        e.seq for e in in_channel + last
    ]
    bounded = await log.read_after(acme, start, up_to=in_channel[-1].seq)
    assert [e.seq for e in bounded] == [e.seq for e in in_channel]
    nobody = EventFilter(user_id=uuid.uuid4())
    assert await log.read_after(acme, start, where=nobody) == []
    assert not nobody.matches(by_channel[0])
    assert [both.matches(e) for e in in_channel + org_wide] == [True, True, False, False]


async def test_each_event_links_to_its_orgs_previous_event(
    services: Services, personas: Personas
) -> None:
    acme, evil = personas.alice.org_id, personas.eve.org_id
    head = await EventLog(services.db).head_seq(acme)
    first = await write_events(services, acme, 2)
    await write_events(services, evil, 1)
    second = await write_events(services, acme, 1)
    assert [e.prev_seq for e in first + second] == [head, first[0].seq, first[1].seq]
    assert second[0].seq > first[1].seq + 1  # seq is global: the other org's event between


async def test_concurrent_writers_in_one_org_form_one_chain(
    services: Services, personas: Personas
) -> None:
    """Many actions at once in one org (truly concurrent on PostgreSQL): every event's
    prev_seq is the org's event just before it, with no fork and no gap."""
    acme, evil = personas.alice.org_id, personas.eve.org_id
    head = await EventLog(services.db).head_seq(acme)
    batches = await asyncio.gather(
        *(write_events(services, acme if n % 4 else evil, 1 + n % 3) for n in range(24))
    )
    ours = sorted((e for batch in batches for e in batch if e.org_id == acme), key=lambda e: e.seq)
    assert len(ours) == sum(1 + n % 3 for n in range(24) if n % 4)
    assert [e.prev_seq for e in ours] == [head] + [e.seq for e in ours[:-1]]
    logged = await EventLog(services.db).read_after(acme, head, limit=1000)
    assert [e.seq for e in logged] == [e.seq for e in ours]
