"""Caught-up ``channelEvents`` subscribers are delivered by one task per group
(docs/adr/0020-subscription-fan-out.md): they give up their own hub listeners, every one
still gets its frames in order under its own id, access-changing events are still decided
per subscriber, and the group goes away with its last member."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import replace

import pytest
from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from tests.graphql.events.test_fanout_grouping import (
    OPERATIONS_PER_SOCKET,
    SOCKETS_PER_USER,
    TYPICAL,
    receive_all,
    subscribe_many,
)
from tests.support.chat import make_channel, post
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid
from tests.support.personas import Personas, another_member, as_user
from tests.support.subscriptions import event_cursor
from workchat.actions import channels as ch
from workchat.graphql.ws_frames import next_message, next_prefix, text_frame
from workchat.services import Services
from workchat.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(
        settings,
        max_sockets_per_user=SOCKETS_PER_USER,
        rate_limit_subscriptions_user="1000/minute",
    )


def channel_listeners(services: Services, channel_id: object) -> int:
    return sum(
        len(feed.by_channel.get(channel_id, ()))  # type: ignore[call-overload]
        for feed in services.hub._feeds.values()
    )


async def until(condition: object, what: str) -> None:
    for _ in range(500):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


@pytest.mark.parametrize("size", [5, 300, 70_000])
def test_a_frame_is_what_the_websockets_protocol_would_send(size: int) -> None:
    payload = b'{"data":{"x":"' + b"y" * size + b'"}}'
    message = next_message(next_prefix("op-1"), payload)
    reference = ServerProtocol()
    reference.state = OPEN
    reference.send_text(message)
    assert text_frame(message) == b"".join(reference.data_to_send())


async def test_caught_up_subscribers_share_one_listener_and_the_group_ends_with_them(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    reader = await another_member(services, personas, "reader")
    channel = await make_channel(services, personas.alice, "dev", members=(reader,))
    variables = {"channelId": cid(channel), "after": await event_cursor(gql, reader)}
    async with AsyncExitStack() as stack:
        subscribers = await subscribe_many(
            stack,
            live_server,
            await gql.token_for(reader),
            TYPICAL,
            variables,
            sockets=2,
            per_socket=OPERATIONS_PER_SOCKET,
            prefix="r",
        )
        messages = [await post(services, personas.alice, channel, f"m{i}") for i in range(3)]
        for message in messages:
            frames = await receive_all(subscribers)
            assert [f["id"] for f in frames] == [s.op_id for s in subscribers]
            bodies = {f["payload"]["data"]["channelEvents"]["message"]["body"] for f in frames}
            assert bodies == {message.body}
        groups = list(services.fanout.groups.values())
        assert len(groups) == 1
        assert len(groups[0].members) == 2 * OPERATIONS_PER_SOCKET
        # One listener for the whole group instead of one per subscription.
        assert channel_listeners(services, channel.id) == 1
    await until(lambda: not services.fanout.groups, "the group retired")
    await until(lambda: channel_listeners(services, channel.id) == 0, "its listener went")


async def test_a_member_who_leaves_a_private_channel_gets_its_own_leaving_and_nothing_after(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Access-changing events go to each member's own task: the leaver's stream ends with
    its MemberLeft, the member who stays goes on getting frames from the group."""
    leaver = await another_member(services, personas, "leaver")
    stayer = await another_member(services, personas, "stayer")
    channel = await make_channel(
        services, personas.alice, "secret", members=(leaver, stayer), private=True
    )
    query = """subscription($channelId: ID!, $after: String) {
      channelEvents(channelId: $channelId, after: $after) {
        ... on MessagePosted { cursor message { body } }
        ... on MemberLeft { cursor user { displayName } }
      }
    }"""
    async with AsyncExitStack() as stack:
        subscribers = []
        for persona, prefix in ((leaver, "l"), (stayer, "s")):
            subscribers += await subscribe_many(
                stack,
                live_server,
                await gql.token_for(persona),
                query,
                {"channelId": cid(channel), "after": await event_cursor(gql, persona)},
                sockets=1,
                per_socket=1,
                prefix=prefix,
            )
        await post(services, personas.alice, channel, "before")
        await receive_all(subscribers)
        assert len(next(iter(services.fanout.groups.values())).members) == 2
        await ch.leave_channel(services, as_user(leaver), channel.id)
        left = await receive_all(subscribers)
        assert [f["payload"]["data"]["channelEvents"]["user"]["displayName"] for f in left] == [
            "Leaver",
            "Leaver",
        ]
        complete = await subscribers[0].subs.message(subscribers[0].op_id)
        assert complete["type"] == "complete"
        await post(services, personas.alice, channel, "after")
        (after,) = await receive_all(subscribers[1:])
        assert after["payload"]["data"]["channelEvents"]["message"]["body"] == "after"
