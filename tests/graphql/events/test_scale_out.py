"""Two server processes on one PostgreSQL database, joined by a Redis or a PostgreSQL bus: a
subscriber on one hears what is posted through the other, presence is shared, and a broken
bus connection loses and duplicates nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from tests.events.test_bus import _kill_connection
from tests.support.chat import make_channel
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid
from tests.support.personas import Personas
from tests.support.server import serve
from tests.support.settings import POSTGRES_URL, REDIS_URL
from tests.support.subscriptions import (
    CHANNEL_EVENTS,
    VIEWER_EVENTS,
    Subscriptions,
    event_cursor,
)
from tests.support.websocket import connected, socket
from workchat.app import create_app
from workchat.services import Services
from workchat.settings import Settings

BUSES = ([REDIS_URL] if REDIS_URL else []) + (
    [POSTGRES_URL.replace("postgresql://", "postgres://")] if POSTGRES_URL else []
)
POST = """mutation($input: PostMessageInput!) {
  postMessage(input: $input) { message { id } errors { code } } }"""

pytestmark = pytest.mark.skipif(not BUSES, reason="needs a Redis or PostgreSQL bus")


@pytest.fixture(params=BUSES)
def settings(request: pytest.FixtureRequest, settings: Settings, backend: str) -> Settings:
    if backend != "postgres":
        pytest.skip("several processes share PostgreSQL, not an SQLite file")
    return replace(settings, broadcast_url=str(request.param))


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[tuple[Services, str]]:
    """A second server with its own services (bus connection, hub, presence), same data."""
    services = Services.create(settings)
    await services.start()
    try:
        async with serve(create_app(settings, services)) as address:
            yield services, address
    finally:
        await services.close()


async def post_via(address: str, token: str, channel_id: str, body: str) -> str:
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        reply = await client.post(
            "/graphql",
            json={"query": POST, "variables": {"input": {"channelId": channel_id, "body": body}}},
            headers={"authorization": f"Bearer {token}"},
        )
    payload = reply.json()["data"]["postMessage"]
    assert payload["errors"] == [], payload
    return str(payload["message"]["id"])


async def test_posts_through_one_process_reach_subscribers_of_the_other(
    live_server: str,
    other_process: tuple[Services, str],
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
) -> None:
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "dev", members=(bob,))
    _, other = other_process
    after = await event_cursor(gql, bob)
    alice_token = await gql.token_for(alice)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": after})
        await subs.start("v", VIEWER_EVENTS, {"after": after})
        sent = [await post_via(other, alice_token, cid(channel), f"m{i}") for i in range(5)]
        got = await subs.events("c", 5)
        assert [e["message"]["id"] for e in got] == sent
        # Presence is shared: alice connecting to the other process shows here.
        async with socket(other) as alice_ws:
            await connected(alice_ws, alice_token)
            while True:
                event = await subs.event("v")
                if event["__typename"] == "PresenceChanged":
                    break
            assert (event["presence"], event["user"]) == ("ONLINE", {"displayName": "Alice"})


async def test_a_broken_bus_connection_loses_and_duplicates_nothing(
    live_server: str,
    other_process: tuple[Services, str],
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
) -> None:
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "dev", members=(bob,))
    _, other = other_process
    after = await event_cursor(gql, bob)
    alice_token = await gql.token_for(alice)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": after})
        sent = [await post_via(other, alice_token, cid(channel), "before")]
        assert (await subs.event("c"))["message"]["id"] == sent[0]
        # This process's subscribing bus connection dies; posts go on through the other.
        await _kill_connection(services.bus)
        sent += [await post_via(other, alice_token, cid(channel), f"during {i}") for i in range(5)]
        sent += [await post_via(live_server, alice_token, cid(channel), "after")]
        got: list[dict[str, Any]] = await subs.events("c", len(sent) - 1)
        assert [e["message"]["id"] for e in got] == sent[1:]
        assert subs.pending("c") == 0
