"""Subscriptions and DataLoaders, over a real WebSocket: ``Context.fresh_loaders()`` gives
each event of a subscription fresh rows, and operations running side by side on one socket
each keep their own loaders.

The server here runs a test schema: the real queries and mutations plus a test-only
subscription that emits a channel each time the test ticks it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator
from typing import Any

import pytest
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.types import Info
from websockets.asyncio.client import ClientConnection

from tests.support.chat import make_channel
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid
from tests.support.personas import Personas, as_user
from tests.support.websocket import connected, receive, send, socket
from workchat.actions import channels as ch
from workchat.graphql.channels.loaders import load_visible_channel
from workchat.graphql.channels.types import ChannelNode
from workchat.graphql.context import Context
from workchat.graphql.ids import decode_id
from workchat.graphql.operation_loaders import OperationLoaders
from workchat.graphql.schema import Mutation, Query, WorkchatSchema
from workchat.graphql.tokens.types import ApiTokenNode
from workchat.graphql.view import WorkchatGraphQL
from workchat.services import Services

Ticks = asyncio.Queue[None]


def probe_schema(ticks: Ticks) -> strawberry.Schema:
    @strawberry.type
    class ProbeSubscription:
        @strawberry.subscription
        async def channel_per_tick(
            self, info: Info[Context, None], id: strawberry.ID, count: int, fresh: bool
        ) -> AsyncGenerator[ChannelNode | None, None]:
            """The channel (null once not visible) at each of ``count`` ticks; with
            ``fresh``, the way a real subscription must: fresh loaders per event."""
            viewer = info.context.require_viewer()
            channel_id = decode_id(id, "Channel")
            assert channel_id is not None
            for _ in range(count):
                await ticks.get()
                if fresh:
                    info.context.fresh_loaders()
                channel = await load_visible_channel(info.context.loaders, viewer, channel_id)
                yield ChannelNode.from_model(channel) if channel else None

    return WorkchatSchema(
        query=Query,
        mutation=Mutation,
        subscription=ProbeSubscription,
        types=[ApiTokenNode],
        extensions=[OperationLoaders],
    )


@pytest.fixture
def ticks() -> Ticks:
    return asyncio.Queue()


@pytest.fixture
def app(services: Services, ticks: Ticks) -> Any:
    """Overrides the app the live server (and the HTTP client) serve."""
    view = WorkchatGraphQL(services, schema=probe_schema(ticks))
    return Starlette(
        routes=[Route("/graphql", view, methods=["POST"]), WebSocketRoute("/graphql", view)]
    )


_ids = itertools.count()

PROBE = """subscription($id: ID!, $count: Int!, $fresh: Boolean!) {
    channelPerTick(id: $id, count: $count, fresh: $fresh) { name viewerIsMember }
}"""
CHANNEL = "query($id: ID!) { channel(id: $id) { name viewerIsMember } }"


async def start(ws: ClientConnection, query: str, variables: dict[str, Any]) -> str:
    op_id = f"op{next(_ids)}"
    payload = {"query": query, "variables": variables}
    await send(ws, {"id": op_id, "type": "subscribe", "payload": payload})
    return op_id


async def next_data(ws: ClientConnection, op_id: str) -> Any:
    message = await receive(ws)
    assert (message["id"], message["type"]) == (op_id, "next"), message
    assert "errors" not in message["payload"], message
    [value] = message["payload"]["data"].values()
    return value


async def test_fresh_loaders_give_every_event_fresh_rows(
    live_server: str,
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    ticks: Ticks,
) -> None:
    """A subscription that calls ``fresh_loaders()`` per event sees a rename, then that the
    viewer left (null), although the first event had cached the channel and membership."""
    alice, bob = personas.alice, personas.bob
    room = await make_channel(services, alice, "before", private=True, members=(bob,))
    token = await gql.token_for(bob)
    async with socket(live_server) as ws:
        await connected(ws, token)
        op = await start(ws, PROBE, {"id": cid(room), "count": 3, "fresh": True})
        ticks.put_nowait(None)
        assert await next_data(ws, op) == {"name": "before", "viewerIsMember": True}

        await ch.update_channel(services, as_user(alice), room.id, name="after")
        ticks.put_nowait(None)
        assert await next_data(ws, op) == {"name": "after", "viewerIsMember": True}

        await ch.leave_channel(services, as_user(bob), room.id)
        ticks.put_nowait(None)
        assert await next_data(ws, op) is None
        assert await receive(ws) == {"id": op, "type": "complete"}


async def test_operations_on_one_socket_keep_their_own_loaders(
    live_server: str,
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    ticks: Ticks,
) -> None:
    """A query started while a subscription is open on the same socket reads fresh rows, and
    does not replace the subscription's loaders: without ``fresh_loaders()`` the subscription
    keeps answering from its own operation's cache (what batching within an operation means)."""
    alice, bob = personas.alice, personas.bob
    room = await make_channel(services, alice, "before", private=True, members=(bob,))
    token = await gql.token_for(bob)
    async with socket(live_server) as ws:
        await connected(ws, token)
        sub = await start(ws, PROBE, {"id": cid(room), "count": 2, "fresh": False})
        ticks.put_nowait(None)
        assert await next_data(ws, sub) == {"name": "before", "viewerIsMember": True}

        await ch.update_channel(services, as_user(alice), room.id, name="after")
        query = await start(ws, CHANNEL, {"id": cid(room)})
        assert await next_data(ws, query) == {"name": "after", "viewerIsMember": True}
        assert await receive(ws) == {"id": query, "type": "complete"}

        ticks.put_nowait(None)
        assert await next_data(ws, sub) == {"name": "before", "viewerIsMember": True}
        assert await receive(ws) == {"id": sub, "type": "complete"}
