"""get_updates: a long-poll over the event log that hands every event of the agent's channels
over exactly once across calls, waits when nothing is new, and stays inside the org."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest
from fastmcp import Client

from tests.support.chat import general, make_channel, post
from tests.support.graphql_client import gid
from tests.support.mcp import agent, api_token, call
from tests.support.personas import Personas, as_user, create_personas
from tests.support.settings import POSTGRES_URL, REDIS_URL
from workchat.actions.reactions import add_reaction
from workchat.services import Services
from workchat.settings import Settings

WAIT = 10  # seconds a call may wait for the first event; far above what it takes


async def updates_until(
    client: Client[Any], cursor: str, count: int
) -> tuple[list[dict[str, Any]], str]:
    """Call get_updates from ``cursor`` until ``count`` events came; every call's events."""
    events: list[dict[str, Any]] = []
    for _ in range(count + 2):
        result = await call(client, "get_updates", after=cursor, timeout_seconds=WAIT)
        events += result["events"]
        cursor = result["cursor"]
        if len(events) >= count:
            break
    return events, cursor


async def test_every_event_once_across_calls(services: Services, personas: Personas) -> None:
    channel = await general(services, personas.alice)
    ops = await make_channel(services, personas.alice, "ops")  # bob is not in it
    token = await api_token(services, personas.alice, personas.bob)
    async with agent(services, token) as client:
        start = await call(client, "get_updates", timeout_seconds=0)
        assert start["events"] == []
        first = await post(services, personas.alice, channel, "first")
        await post(services, personas.alice, ops, "not for bob")
        await add_reaction(services, as_user(personas.alice), first.id, "👍")
        second = await post(services, personas.alice, channel, "second", thread=first)
        events, cursor = await updates_until(client, start["cursor"], 3)
        # Nothing new: the same cursor comes back, with no event repeated.
        idle = await call(client, "get_updates", after=cursor, timeout_seconds=0)
        third = await post(services, personas.alice, channel, "third")
        later, _ = await updates_until(client, cursor, 1)
    assert [(e["type"], e["message"]["id"]) for e in events] == [
        ("MessagePosted", gid("Message", first.id)),
        ("ReactionAdded", gid("Message", first.id)),
        ("MessagePosted", gid("Message", second.id)),
    ]
    assert events[1]["emoji"] == "👍" and events[1]["user"] == "Alice"
    assert events[2]["message"]["is_reply"] and events[2]["channel"] == "general"
    assert (idle["events"], idle["cursor"]) == ([], cursor)
    assert [(e["type"], e["message"]["id"]) for e in later] == [
        ("MessagePosted", gid("Message", third.id))
    ]
    cursors = [e["cursor"] for e in events + later]
    assert len(set(cursors)) == len(cursors)


async def test_waits_for_the_next_event(services: Services, personas: Personas) -> None:
    channel = await general(services, personas.alice)
    token = await api_token(services, personas.alice, personas.bob)
    async with agent(services, token) as client:
        start = await call(client, "get_updates", timeout_seconds=0)
        waiting = asyncio.create_task(
            call(client, "get_updates", after=start["cursor"], timeout_seconds=30)
        )
        message = await post(services, personas.alice, channel, "ping")
        result = await asyncio.wait_for(waiting, timeout=WAIT)
    assert [e["message"]["body"] for e in result["events"]] == ["ping"]
    assert result["events"][0]["message"]["id"] == gid("Message", message.id)
    assert result["cursor"] == result["events"][0]["cursor"]


async def test_unusable_cursor_asks_for_a_resync(services: Services, personas: Personas) -> None:
    channel = await general(services, personas.alice)
    token = await api_token(services, personas.alice, personas.bob)
    eve_token = await api_token(services, personas.eve, personas.eve)
    async with agent(services, eve_token) as client:
        eves_cursor = (await call(client, "get_updates", timeout_seconds=0))["cursor"]
    async with agent(services, token) as client:
        garbage = await call(client, "get_updates", after="not-a-cursor", timeout_seconds=5)
        foreign = await call(client, "get_updates", after=eves_cursor, timeout_seconds=5)
        message = await post(services, personas.alice, channel, "after the resync")
        events, _ = await updates_until(client, garbage["cursor"], 1)
    assert garbage["resync_required"] and garbage["events"] == []
    # Another org's cursor reads exactly like a malformed one.
    assert foreign["resync_required"] == garbage["resync_required"]
    assert [e["message"]["id"] for e in events] == [gid("Message", message.id)]


async def test_eve_gets_no_updates_from_acme(services: Services, personas: Personas) -> None:
    acme = await general(services, personas.alice)
    evil = await general(services, personas.eve)
    token = await api_token(services, personas.eve, personas.eve)
    async with agent(services, token) as client:
        start = await call(client, "get_updates", timeout_seconds=0)
        await post(services, personas.alice, acme, "acme secret")
        own = await post(services, personas.eve, evil, "evil news")
        events, _ = await updates_until(client, start["cursor"], 1)
        idle = await call(client, "get_updates", after=events[-1]["cursor"], timeout_seconds=0)
    assert [e["message"]["id"] for e in events] == [gid("Message", own.id)]
    assert idle["events"] == []


async def listening(services: Services, org_id: uuid.UUID) -> None:
    """Until a listener of the org is live in this process's hub."""
    while True:
        feed = services.hub._feeds.get(org_id)
        if feed is not None and feed.ready.is_set() and feed.listeners:
            return
        await asyncio.sleep(0.01)


BUSES = ([REDIS_URL] if REDIS_URL else []) + (
    [POSTGRES_URL.replace("postgresql://", "postgres://")] if POSTGRES_URL else []
)


@pytest.mark.skipif(not BUSES, reason="needs a Redis or PostgreSQL bus")
@pytest.mark.parametrize("bus", BUSES)
async def test_posts_through_another_process_arrive_once(
    bus: str, backend: str, settings: Settings
) -> None:
    """Scale-out: the agent's server and the one people post through share PostgreSQL and a
    Redis (or PostgreSQL) bus; get_updates hands over every post of the other process once."""
    if backend != "postgres":
        pytest.skip("several processes share PostgreSQL, not an SQLite file")
    shared = replace(settings, broadcast_url=bus)
    async with AsyncExitStack() as stack:
        here, there = Services.create(shared), Services.create(shared)
        for process in (here, there):
            await process.start()
            stack.push_async_callback(process.close)
        personas = await create_personas(there)
        channel = await general(there, personas.alice)
        token = await api_token(here, personas.alice, personas.bob)
        async with agent(here, token) as client:
            start = await call(client, "get_updates", timeout_seconds=0)
            sent = [await post(there, personas.alice, channel, f"m{n}") for n in range(5)]
            events, cursor = await updates_until(client, start["cursor"], len(sent))
            idle = await call(client, "get_updates", after=cursor, timeout_seconds=0)
            # A call already waiting is woken by the bus, not by a later call's replay: post
            # only once its listener is live in the agent's process.
            waiting = asyncio.create_task(
                call(client, "get_updates", after=cursor, timeout_seconds=60)
            )
            await asyncio.wait_for(listening(here, personas.alice.org_id), timeout=WAIT)
            last = await post(there, personas.alice, channel, "while waiting")
            woken = await asyncio.wait_for(waiting, timeout=WAIT)
    assert [e["message"]["id"] for e in events] == [gid("Message", m.id) for m in sent]
    assert idle["events"] == []
    assert [e["message"]["id"] for e in woken["events"]] == [gid("Message", last.id)]
