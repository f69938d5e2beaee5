"""Presence: online with a live socket, away without activity, offline when the last socket
closes or its process stops answering; ``PresenceChanged`` on ``viewerEvents``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.graphql_client import GraphQLClient, gid
from tests.support.personas import Persona, Personas
from tests.support.subscriptions import VIEWER_EVENTS, Subscriptions, event_cursor
from tests.support.websocket import connected, socket
from workchat.db.base import utcnow
from workchat.events.presence import EXPIRY_SECONDS, Presence, PresenceTracker
from workchat.services import Services

PRESENCE = """query($id: ID!) { node(id: $id) { ... on User { presence lastSeenAt } } }"""


async def presence_of(gql: GraphQLClient, asker: Persona, whom: Persona) -> dict[str, Any]:
    result = await gql.execute(PRESENCE, {"id": gid("User", whom.id)}, as_=asker)
    return result["data"]["node"]  # type: ignore[no-any-return]


async def next_presence(subs: Subscriptions, name: str) -> dict[str, Any]:
    """The next PresenceChanged about ``name``."""
    while True:
        event = await subs.event("v")
        if event["__typename"] == "PresenceChanged" and event["user"]["displayName"] == name:
            return event


async def test_online_while_connected_offline_after_the_last_socket(
    live_server: str, gql: GraphQLClient, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    assert await presence_of(gql, alice, bob) == {"presence": "OFFLINE", "lastSeenAt": None}
    after = await event_cursor(gql, alice)
    async with socket(live_server) as watcher:
        await connected(watcher, await gql.token_for(alice))
        subs = Subscriptions(watcher)
        await subs.start("v", VIEWER_EVENTS, {"after": after})
        bob_token = await gql.token_for(bob)
        async with socket(live_server) as first:
            await connected(first, bob_token)
            online = await next_presence(subs, "Bob")
            assert online == {
                "__typename": "PresenceChanged",
                "presence": "ONLINE",
                "user": {"displayName": "Bob"},
            }
            assert (await presence_of(gql, alice, bob))["presence"] == "ONLINE"
            async with socket(live_server) as second:
                await connected(second, bob_token)
            # One of two sockets closed: still online, nothing announced.
            assert (await presence_of(gql, alice, bob))["presence"] == "ONLINE"
        offline = await next_presence(subs, "Bob")
        assert (offline["presence"], offline["user"]) == ("OFFLINE", {"displayName": "Bob"})
        state = await presence_of(gql, alice, bob)
        assert state["presence"] == "OFFLINE"
        assert state["lastSeenAt"] is not None


async def test_away_after_inactivity_and_back_on_activity(
    services: Services, personas: Personas
) -> None:
    tracker = services.presence
    bob = personas.bob
    await tracker.connected(bob.org_id, bob.id)
    later = utcnow() + tracker.away + timedelta(seconds=1)
    await tracker.heartbeat(now=later)
    assert (await tracker.states([bob.id], later))[bob.id].presence is Presence.AWAY
    assert tracker.touch(bob.id) is True
    await tracker.back(bob.id)
    assert (await tracker.states([bob.id]))[bob.id].presence is Presence.ONLINE
    # Activity reaches the table with the next heartbeat (one statement for all users).
    tracker.touch(bob.id)
    await tracker.heartbeat()
    assert (await tracker.states([bob.id]))[bob.id].presence is Presence.ONLINE
    await tracker.disconnected(bob.org_id, bob.id)
    assert (await tracker.states([bob.id]))[bob.id].presence is Presence.OFFLINE


async def test_a_crashed_process_users_go_offline_unless_held_elsewhere(
    services: Services, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    crashed = PresenceTracker(services.db, services.bus, away_seconds=300)
    await crashed.connected(bob.org_id, bob.id)
    await crashed.connected(alice.org_id, alice.id)
    await services.presence.connected(alice.org_id, alice.id)  # alice is also here
    # The other process stops refreshing its rows; after the expiry this one sweeps them.
    await services.presence.heartbeat()
    later = utcnow() + timedelta(seconds=EXPIRY_SECONDS + 1)
    await services.presence.heartbeat(now=later)
    assert await services.presence.sweep(now=later) == [bob.id]
    states = await services.presence.states([alice.id, bob.id], later)
    assert states[bob.id].presence is Presence.OFFLINE
    assert states[bob.id].last_seen_at is not None
    assert states[alice.id].presence is Presence.ONLINE
