"""Limits of live sockets: sockets per user, operations per socket, the connection_init
timeout, and a subscriber too slow to keep up closed with 4429 (memory stays bounded)."""

from __future__ import annotations

import asyncio
import socket as socket_module
from dataclasses import replace

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.support.chat import make_channel
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid
from tests.support.personas import Personas, as_user
from tests.support.subscriptions import CHANNEL_EVENTS, Subscriptions, event_cursor
from tests.support.websocket import PROTOCOL, closed_code, connected, send, socket
from workchat.actions import messages as msg
from workchat.events.hub import SUBSCRIBER_TOO_SLOW
from workchat.services import Services
from workchat.settings import Settings

# Frames of ~20 KB: more than the kernel buffers between server and a stalled client hold.
POSTS = 600


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, max_sockets_per_user=2, max_subscriptions_per_socket=2)


async def test_a_user_holds_at_most_the_configured_sockets(
    live_server: str, gql: GraphQLClient, personas: Personas
) -> None:
    token = await gql.token_for(personas.bob)
    async with socket(live_server) as one, socket(live_server) as two:
        await connected(one, token)
        await connected(two, token)
        async with socket(live_server) as three:
            await send(three, {"type": "connection_init", "payload": {"token": token}})
            assert await closed_code(three) == 4403
    # Closing sockets frees places again.
    async with socket(live_server) as again:
        await connected(again, token)


async def test_a_socket_runs_at_most_the_configured_operations(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    channel = await make_channel(services, personas.alice, "dev")
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(personas.alice))
        subs = Subscriptions(ws)
        for op_id in ("a", "b"):
            await subs.start(op_id, CHANNEL_EVENTS, {"channelId": cid(channel)})
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel)})
        refused = await subs.message("c")
        assert refused["type"] == "error"
        assert "limit" in refused["payload"][0]["message"].lower()


async def test_a_socket_that_never_initialises_is_closed(live_server: str) -> None:
    async with socket(live_server) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), timeout=15)
        assert ws.close_code == 4408


async def test_a_subscriber_that_never_reads_is_closed_as_too_slow(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """The listener's queue is bounded: once the socket stops draining, the subscription is
    closed with 4429 instead of buffering without end. The client resumes by cursor."""
    services.hub._queue_size = 8
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "dev", members=(bob,))
    after = await event_cursor(gql, bob)
    token = await gql.token_for(bob)
    host, port = live_server.split(":")
    raw = socket_module.socket()
    raw.setsockopt(socket_module.SOL_SOCKET, socket_module.SO_RCVBUF, 4096)  # a slow reader
    raw.connect((host, int(port)))
    async with connect(
        f"ws://{live_server}/graphql",
        sock=raw,
        compression=None,  # "xxx…" would deflate to nothing and never fill a buffer
        subprotocols=[Subprotocol(PROTOCOL)],
        max_queue=1,  # the client stops reading from TCP almost at once
    ) as ws:
        await connected(ws, token)
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": after})
        body = "x" * 20_000
        for _ in range(POSTS):
            await msg.post_message(services, as_user(alice), channel_id=channel.id, body=body)
        received = 0
        with pytest.raises(ConnectionClosed):
            while True:
                try:
                    await asyncio.wait_for(ws.recv(), timeout=10)
                except TimeoutError:
                    raise AssertionError(f"no close after {received} frames") from None
                received += 1
        assert ws.close_code == SUBSCRIBER_TOO_SLOW
        assert received < POSTS
