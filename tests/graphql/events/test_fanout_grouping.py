"""Subscription events executed once per group (docs/adr/0020-subscription-fan-out.md):
identical subscribers share one execution and one encoded frame, a different permission
scope, selection or viewer-dependent field splits the group, and every subscriber still
gets exactly its own selection under its own operation id."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from tests.support.chat import make_channel, post
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid, mid
from tests.support.personas import Persona, Personas, another_member, as_user
from tests.support.subscriptions import Subscriptions, event_cursor
from tests.support.websocket import connected, socket
from workchat.actions import reactions as rx
from workchat.graphql.events.grouping import is_viewer_dependent
from workchat.graphql.schema import create_schema
from workchat.services import Services
from workchat.settings import Settings

TYPICAL = """subscription($channelId: ID!, $after: String) {
  channelEvents(channelId: $channelId, after: $after) {
    ... on MessagePosted { cursor message { id body author { displayName } } }
  }
}"""
WIDER = """subscription($channelId: ID!, $after: String) {
  channelEvents(channelId: $channelId, after: $after) {
    ... on MessagePosted { cursor message { id body createdAt } }
  }
}"""
REACTIONS = """subscription($channelId: ID!, $after: String) {
  channelEvents(channelId: $channelId, after: $after) {
    ... on ReactionAdded { cursor message { reactions { emoji count viewerHasReacted } } }
  }
}"""
SOCKETS_PER_USER = 5
OPERATIONS_PER_SOCKET = 5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(
        settings,
        max_sockets_per_user=SOCKETS_PER_USER,
        rate_limit_subscriptions_user="1000/minute",
    )


class Subscriber:
    """One operation on one socket, and what arrives for it."""

    def __init__(self, subs: Subscriptions, op_id: str) -> None:
        self.subs = subs
        self.op_id = op_id

    async def next_message(self) -> dict[str, Any]:
        message = await self.subs.message(self.op_id)
        assert message["type"] == "next", message
        assert message["id"] == self.op_id
        return message


async def subscribe_many(
    stack: AsyncExitStack,
    server: str,
    token: str,
    query: str,
    variables: dict[str, Any],
    *,
    sockets: int,
    per_socket: int,
    prefix: str,
) -> list[Subscriber]:
    subscribers = []
    for s in range(sockets):
        ws: ClientConnection = await stack.enter_async_context(socket(server))
        await connected(ws, token)
        subs = Subscriptions(ws)
        for o in range(per_socket):
            op_id = f"{prefix}-{s}-{o}"
            await subs.start(op_id, query, variables)
            subscribers.append(Subscriber(subs, op_id))
    return subscribers


async def receive_all(subscribers: list[Subscriber]) -> list[dict[str, Any]]:
    """The next frame of each subscriber, in the subscribers' order."""
    by_socket: dict[int, list[Subscriber]] = {}
    for subscriber in subscribers:
        by_socket.setdefault(id(subscriber.subs), []).append(subscriber)
    received: dict[str, dict[str, Any]] = {}

    async def read(group: list[Subscriber]) -> None:
        # Operations of one socket are read one after another (they share its inbox).
        for subscriber in group:
            received[subscriber.op_id] = await subscriber.next_message()

    await asyncio.gather(*(read(group) for group in by_socket.values()))
    return [received[s.op_id] for s in subscribers]


async def members(services: Services, personas: Personas, count: int) -> list[Persona]:
    return [await another_member(services, personas, f"reader{i}") for i in range(count)]


async def test_a_hundred_identical_subscribers_cause_one_execution_per_event(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    readers = await members(services, personas, 4)
    channel = await make_channel(services, personas.alice, "dev", members=tuple(readers))
    after = await event_cursor(gql, personas.bob)
    variables = {"channelId": cid(channel), "after": after}
    stats = services.fanout.stats
    async with AsyncExitStack() as stack:
        subscribers = []
        for n, reader in enumerate(readers):  # 4 users x 5 sockets x 5 operations
            subscribers += await subscribe_many(
                stack,
                live_server,
                await gql.token_for(reader),
                TYPICAL,
                variables,
                sockets=SOCKETS_PER_USER,
                per_socket=OPERATIONS_PER_SOCKET,
                prefix=f"u{n}",
            )
        assert len(subscribers) == 100
        reuses_before = stats.reuses_total
        first = await post(services, personas.alice, channel, "one")
        second = await post(services, personas.alice, channel, "two")
        for message in (first, second):
            frames = await receive_all(subscribers)
            assert [f["id"] for f in frames] == [s.op_id for s in subscribers]
            payloads = [f["payload"] for f in frames]
            cursor = payloads[0]["data"]["channelEvents"]["cursor"]
            assert (
                payloads
                == [
                    {
                        "data": {
                            "channelEvents": {
                                "cursor": cursor,
                                "message": {
                                    "id": mid(message),
                                    "body": message.body,
                                    "author": {"displayName": "Alice"},
                                },
                            }
                        }
                    }
                ]
                * 100
            )
            assert stats.executions_for(cursor) == 1
        assert stats.reuses_total - reuses_before == 2 * 99


async def test_two_permission_scopes_cause_two_executions(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """An admin and a member never share a result, though they see the same here."""
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "dev", members=(bob,))
    variables = {"channelId": cid(channel), "after": await event_cursor(gql, bob)}
    async with AsyncExitStack() as stack:
        subscribers = []
        for persona in (alice, bob):
            subscribers += await subscribe_many(
                stack,
                live_server,
                await gql.token_for(persona),
                TYPICAL,
                variables,
                sockets=1,
                per_socket=3,
                prefix=persona.name,
            )
        await post(services, bob, channel, "hello")
        frames = await receive_all(subscribers)
    events = [f["payload"]["data"]["channelEvents"] for f in frames]
    assert all(event == events[0] for event in events)
    assert services.fanout.stats.executions_for(events[0]["cursor"]) == 2


async def test_two_selections_cause_two_executions_each_gets_its_own(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    bob = personas.bob
    channel = await make_channel(services, personas.alice, "dev", members=(bob,))
    variables = {"channelId": cid(channel), "after": await event_cursor(gql, bob)}
    token = await gql.token_for(bob)
    async with AsyncExitStack() as stack:
        typical = await subscribe_many(
            stack, live_server, token, TYPICAL, variables, sockets=1, per_socket=3, prefix="t"
        )
        wider = await subscribe_many(
            stack, live_server, token, WIDER, variables, sockets=1, per_socket=3, prefix="w"
        )
        message = await post(services, bob, channel, "hello")
        typical_frames = await receive_all(typical)
        wider_frames = await receive_all(wider)
    for frame in typical_frames:
        assert set(frame["payload"]["data"]["channelEvents"]["message"]) == {
            "id",
            "body",
            "author",
        }
    for frame in wider_frames:
        event = frame["payload"]["data"]["channelEvents"]
        assert set(event["message"]) == {"id", "body", "createdAt"}
        assert event["message"]["id"] == mid(message)
    cursor = typical_frames[0]["payload"]["data"]["channelEvents"]["cursor"]
    assert services.fanout.stats.executions_for(cursor) == 2


async def test_a_viewer_dependent_field_is_executed_per_viewer(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """viewerHasReacted splits the group by viewer: each sees their own answer."""
    bob = personas.bob
    carol = await another_member(services, personas, "carol")
    channel = await make_channel(services, personas.alice, "dev", members=(bob, carol))
    message = await post(services, bob, channel, "react to me")
    variables = {"channelId": cid(channel), "after": await event_cursor(gql, bob)}
    async with AsyncExitStack() as stack:
        by_user = {}
        for persona in (bob, carol):
            by_user[persona.name] = await subscribe_many(
                stack,
                live_server,
                await gql.token_for(persona),
                REACTIONS,
                variables,
                sockets=1,
                per_socket=2,
                prefix=persona.name,
            )
        await rx.add_reaction(services, as_user(bob), message.id, "👍")
        seen = {name: await receive_all(subs) for name, subs in by_user.items()}
    for name, frames in seen.items():
        for frame in frames:
            event = frame["payload"]["data"]["channelEvents"]
            assert event["message"]["reactions"] == [
                {"emoji": "👍", "count": 1, "viewerHasReacted": name == "bob"}
            ]
    cursor = seen["bob"][0]["payload"]["data"]["channelEvents"]["cursor"]
    assert services.fanout.stats.executions_for(cursor) == 2


class TestSwitchedOff:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return replace(settings, fanout_shared_execution=False)

    async def test_each_subscriber_executes_for_itself(
        self, live_server: str, gql: GraphQLClient, services: Services, personas: Personas
    ) -> None:
        bob = personas.bob
        channel = await make_channel(services, personas.alice, "dev", members=(bob,))
        variables = {"channelId": cid(channel), "after": await event_cursor(gql, bob)}
        async with AsyncExitStack() as stack:
            subscribers = await subscribe_many(
                stack,
                live_server,
                await gql.token_for(bob),
                TYPICAL,
                variables,
                sockets=1,
                per_socket=3,
                prefix="b",
            )
            message = await post(services, bob, channel, "hello")
            frames = await receive_all(subscribers)
        events = [f["payload"]["data"]["channelEvents"] for f in frames]
        assert all(e["message"]["id"] == mid(message) for e in events)
        assert services.fanout.stats.executions_for(events[0]["cursor"]) == 3
        assert services.fanout.stats.reuses_total == 0


def test_every_viewer_dependent_field_reachable_from_events_is_known() -> None:
    """A field whose description speaks of the viewer (or of who may see it) must split
    groups by viewer; a new one that does not would be shared across viewers."""
    schema = create_schema()._schema
    seen: set[str] = set()
    pending = ["ChannelEvent"]
    flagged = []
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        graphql_type = schema.get_type(name)
        for possible in getattr(graphql_type, "types", ()):  # unions
            pending.append(possible.name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            text = (field.description or "").lower()
            if "viewer" in text or "for the author" in text:
                flagged.append(field_name)
            inner = field.type
            while hasattr(inner, "of_type"):
                inner = inner.of_type
            pending.append(inner.name)
    assert flagged  # the walk reaches the known ones
    assert [name for name in flagged if not is_viewer_dependent(name)] == []
