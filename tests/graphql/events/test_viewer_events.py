"""``viewerEvents`` over a real WebSocket: unread and mention counts that always agree with
``Channel.unreadCount``, mentions, and membership changes."""

from __future__ import annotations

import random
from typing import Any

from tests.support.chat import make_channel, post
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid
from tests.support.personas import Personas, another_member, as_user
from tests.support.subscriptions import VIEWER_EVENTS, Subscriptions, event_cursor
from tests.support.websocket import connected, socket
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions import read_state
from workchat.services import Services

UNREAD = """query($id: ID!) { channel(id: $id) { unreadCount mentionCount } }"""


async def test_counts_mentions_and_reads_from_other_devices(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "dev", members=(bob,))
    after = await event_cursor(gql, bob)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("v", VIEWER_EVENTS, {"after": after})

        await post(services, alice, channel, "hello")
        first = await subs.event("v")
        assert first["__typename"] == "UnreadCountChanged"
        assert (first["channel"]["id"], first["unreadCount"], first["mentionCount"]) == (
            cid(channel),
            1,
            0,
        )

        mention = await post(services, alice, channel, "@Bob can you look?")
        mentioned = await subs.event("v")
        assert mentioned["__typename"] == "MentionReceived"
        assert mentioned["message"]["body"] == "@Bob can you look?"
        counts = await subs.event("v")
        assert (counts["unreadCount"], counts["mentionCount"]) == (2, 1)

        # Read on another device (over HTTP): this socket hears of it.
        await read_state.mark_channel_read(
            services, as_user(bob), channel_id=channel.id, up_to_message_id=mention.id
        )
        read = await subs.event("v")
        assert (read["__typename"], read["unreadCount"], read["mentionCount"]) == (
            "UnreadCountChanged",
            0,
            0,
        )


async def next_membership(subs: Subscriptions) -> dict[str, Any]:
    """The next MembershipChanged (a join also sends the channel's counts, and others may
    come online meanwhile: skipped here)."""
    while True:
        event = await subs.event("v")
        if event["__typename"] not in ("UnreadCountChanged", "PresenceChanged"):
            assert event["__typename"] == "MembershipChanged", event
            return event


async def test_membership_changes(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    public = await make_channel(services, alice, "dev")
    private = await make_channel(services, alice, "hush", private=True)
    after = await event_cursor(gql, bob)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("v", VIEWER_EVENTS, {"after": after})
        await ch.join_channel(services, as_user(bob), public.id)
        joined = await next_membership(subs)
        assert (joined["__typename"], joined["change"], joined["channel"]["id"]) == (
            "MembershipChanged",
            "JOINED",
            cid(public),
        )
        await ch.invite_to_channel(services, as_user(alice), private.id, bob.id)
        invited = await next_membership(subs)
        assert (invited["change"], invited["channel"]["name"]) == ("INVITED", "hush")
        await ch.update_channel(services, as_user(alice), public.id, name="deploys")
        renamed = await next_membership(subs)
        assert (renamed["change"], renamed["channel"]["name"]) == ("RENAMED", "deploys")
        await ch.archive_channel(services, as_user(alice), public.id)
        assert (await next_membership(subs))["change"] == "ARCHIVED"
        await ch.leave_channel(services, as_user(bob), private.id)
        left = await next_membership(subs)
        assert (left["change"], left["channel"]["id"]) == ("LEFT", cid(private))


async def test_streamed_counts_always_equal_the_query(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A seeded random walk of posts, deletes and reads by several users: after each step
    the last count bob's stream sent for each channel equals ``Channel.unreadCount``."""
    alice, bob = personas.alice, personas.bob
    carol = await another_member(services, personas, "carol")
    channels = [
        await make_channel(services, alice, f"c{i}", members=(bob, carol)) for i in range(2)
    ]
    posts: dict[Any, list[Any]] = {c.id: [] for c in channels}
    after = await event_cursor(gql, bob)
    rng = random.Random(11)
    last: dict[str, tuple[int, int]] = {}
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("v", VIEWER_EVENTS, {"after": after})
        for step in range(40):
            channel = rng.choice(channels)
            roll = rng.random()
            author = rng.choice([alice, carol])
            if roll < 0.6 or not posts[channel.id]:
                body = f"step {step}" + (" @Bob" if rng.random() < 0.3 else "")
                posts[channel.id].append(await post(services, author, channel, body))
            elif roll < 0.8:
                target = posts[channel.id].pop(rng.randrange(len(posts[channel.id])))
                await msg.delete_message(services, as_user(alice), target.id)
            else:
                target = rng.choice(posts[channel.id])
                await read_state.mark_channel_read(
                    services, as_user(bob), channel_id=channel.id, up_to_message_id=target.id
                )
            query = (await gql.execute(UNREAD, {"id": cid(channel)}, as_=bob))["data"]["channel"]
            expected = (query["unreadCount"], query["mentionCount"])
            # Drain what the stream sent until its latest count for the channel is known.
            while last.get(cid(channel), (0, 0)) != expected:
                event = await subs.event("v")
                if event["__typename"] == "UnreadCountChanged":
                    last[event["channel"]["id"]] = (event["unreadCount"], event["mentionCount"])
            assert last.get(cid(channel), (0, 0)) == expected
