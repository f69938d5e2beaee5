"""Limits of live sockets: sockets per user, operations per socket, the connection_init
timeout, and a subscriber too slow to keep up closed with 4429 (memory stays bounded)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.chat import make_channel
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid
from tests.support.personas import Personas
from tests.support.subscriptions import CHANNEL_EVENTS, Subscriptions
from tests.support.websocket import closed_code, connected, send, socket
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
