"""get_updates: a long-poll over the event log that hands every event of the agent's channels
over exactly once across calls, waits when nothing is new, and stays inside the org."""

from __future__ import annotations

import asyncio
from typing import Any

from fastmcp import Client

from tests.support.chat import general, make_channel, post
from tests.support.graphql_client import gid
from tests.support.mcp import agent, api_token, call
from tests.support.personas import Personas, as_user
from workchat.actions.reactions import add_reaction
from workchat.services import Services

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
