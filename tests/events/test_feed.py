"""follow(): replay from a cursor, then live, exactly once; ResyncRequired for a cursor older
than retention; filters apply to both halves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import timedelta

from tests.events.helpers import age_events, write_events
from tests.support.personas import Personas, as_user
from workchat.actions.channels import create_channel
from workchat.db.base import utcnow
from workchat.events.feed import CURSOR_EXPIRED, ResyncRequired, follow
from workchat.events.log import CommittedEvent
from workchat.events.reads import EventFilter
from workchat.events.retention import prune_events
from workchat.services import Services

Stream = AsyncIterator[CommittedEvent | ResyncRequired]


async def _take(stream: Stream, count: int) -> list[CommittedEvent | ResyncRequired]:
    return [await asyncio.wait_for(anext(stream), 10) for _ in range(count)]


async def test_replays_after_the_cursor_then_goes_live_without_duplicates(
    services: Services, personas: Personas
) -> None:
    org = personas.alice.org_id
    cursor = await services.hub.log.head_seq(org)
    old = await write_events(services, org, 5)
    async with aclosing(follow(services.hub, org, after_seq=cursor, page_size=2)) as stream:
        assert await _take(stream, 5) == old  # replayed in three pages of 2
        new = await write_events(services, org, 2)
        await services.bus.publish(old + new)  # stale and repeated bus messages change nothing
        assert await _take(stream, 2) == new
        newer = await write_events(services, org, 1)
        assert await _take(stream, 1) == newer


async def test_without_a_cursor_the_stream_starts_now(
    services: Services, personas: Personas
) -> None:
    org = personas.alice.org_id
    old = await write_events(services, org, 3)
    async with aclosing(follow(services.hub, org)) as stream:
        first = asyncio.ensure_future(anext(stream))
        # The stream is live once one of these markers reaches it; nothing older may.
        for _ in range(100):
            await write_events(services, org, 1, text="marker")
            done, _pending = await asyncio.wait({first}, timeout=0.1)
            if done:
                break
        received = first.result()
    assert isinstance(received, CommittedEvent)
    assert (received.payload["text"], received.seq > old[-1].seq) == ("marker", True)


async def test_filters_apply_to_replay_and_live(services: Services, personas: Personas) -> None:
    org = personas.alice.org_id
    channel = await create_channel(services, as_user(personas.alice), name="feed")
    cursor = await services.hub.log.head_seq(org)
    wanted = await write_events(services, org, 2, channel_id=channel.id)
    await write_events(services, org, 2)
    where = EventFilter(channel_id=channel.id)
    async with aclosing(follow(services.hub, org, after_seq=cursor, where=where)) as stream:
        assert await _take(stream, 2) == wanted
        await write_events(services, org, 1)  # not in the channel: skipped
        live = await write_events(services, org, 1, channel_id=channel.id)
        assert await _take(stream, 1) == live


async def test_a_cursor_ahead_of_this_process_skips_what_it_already_has(
    services: Services, personas: Personas
) -> None:
    """A client may resume here with a cursor another process gave it; events up to it are
    not sent again even if this hub delivers them later."""
    org = personas.alice.org_id
    async with services.hub.listen(org):  # keep the org's feed running
        events = await write_events(services, org, 3)
        async with aclosing(follow(services.hub, org, after_seq=events[1].seq)) as stream:
            assert await _take(stream, 1) == [events[2]]


async def test_an_expired_cursor_gets_resync_required_then_live(
    services: Services, personas: Personas
) -> None:
    org = personas.alice.org_id
    old = await write_events(services, org, 3)
    await age_events(services, range(old[-1].seq + 1), utcnow() - timedelta(days=30))
    pruned = await prune_events(services.db, older_than=utcnow() - timedelta(days=7))
    assert pruned.pruned_through[org] == old[-1].seq
    async with aclosing(follow(services.hub, org, after_seq=old[0].seq)) as stream:
        assert await _take(stream, 1) == [ResyncRequired(CURSOR_EXPIRED)]
        new = await write_events(services, org, 1)
        assert await _take(stream, 1) == new
    # Nothing after the newest pruned event was lost: that cursor still resumes.
    async with aclosing(follow(services.hub, org, after_seq=old[-1].seq)) as resumed:
        assert await _take(resumed, 1) == new
