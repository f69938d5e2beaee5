"""``channelEvents`` over a real WebSocket: what each mutation delivers, who may subscribe,
exact resume by cursor, ``ResyncRequired``, live re-authorization and typing."""

from __future__ import annotations

import random
from typing import Any

from tests.support.chat import make_channel, post
from tests.support.graphql_client import GraphQLClient, gid
from tests.support.operations import cid, mid
from tests.support.personas import Personas, as_user
from tests.support.subscriptions import CHANNEL_EVENTS, EVENT_CURSOR, Subscriptions, event_cursor
from tests.support.websocket import connected, socket
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions import reactions as rx
from workchat.events.retention import prune_events
from workchat.services import Services

SET_TYPING = (
    """mutation($input: SetTypingInput!) { setTyping(input: $input) { errors { code } } }"""
)


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["__typename"] for event in events]


async def test_every_channel_mutation_delivers_its_event(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "dev", members=(bob,))
    after = await event_cursor(gql, bob)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": after})

        root = await post(services, alice, channel, "deploy at five?")
        posted = await subs.event("c")
        assert posted["__typename"] == "MessagePosted"
        assert posted["message"] == {
            "id": mid(root),
            "body": "deploy at five?",
            "version": 1,
            "isReply": False,
            "threadId": mid(root),
            "isDeleted": False,
            "author": {"displayName": "Alice"},
        }

        await msg.edit_message(services, as_user(alice), message_id=root.id, body="deploy at six?")
        edited = await subs.event("c")
        assert edited["__typename"] == "MessageEdited"
        assert edited["message"] == {"id": mid(root), "body": "deploy at six?", "version": 2}

        await rx.add_reaction(services, as_user(bob), root.id, "👍")
        added = await subs.event("c")
        assert added["__typename"] == "ReactionAdded"
        assert added["emoji"] == "👍"
        assert added["user"] == {"displayName": "Bob"}
        assert added["message"]["reactions"] == [{"emoji": "👍", "count": 1}]

        await rx.remove_reaction(services, as_user(bob), root.id, "👍")
        removed = await subs.event("c")
        assert removed["__typename"] == "ReactionRemoved"
        assert removed["message"]["reactions"] == []

        reply = await post(services, bob, channel, "six works", thread=root)
        replied = await subs.event("c")
        assert replied["__typename"] == "MessagePosted"
        assert replied["message"]["isReply"] is True
        assert replied["message"]["threadId"] == mid(root)
        assert replied["message"]["id"] == mid(reply)

        await msg.delete_message(services, as_user(bob), reply.id)
        deleted = await subs.event("c")
        assert deleted == {
            "__typename": "MessageDeleted",
            "cursor": deleted["cursor"],
            "message": {"id": mid(reply), "isDeleted": True},
        }

        carol = await _carol(services, personas)
        await ch.join_channel(services, carol, channel.id)
        joined = await subs.event("c")
        assert joined["__typename"] == "MemberJoined"
        assert joined["user"] == {"displayName": "Carol"}
        await ch.leave_channel(services, carol, channel.id)
        left = await subs.event("c")
        assert left["__typename"] == "MemberLeft"
        assert left["user"] == {"displayName": "Carol"}

        await ch.update_channel(services, as_user(alice), channel.id, name="deploys")
        updated = await subs.event("c")
        assert updated["__typename"] == "ChannelUpdated"
        assert updated["changes"] == ["name"]
        assert updated["channel"] == {"name": "deploys", "isPrivate": False}

        await ch.archive_channel(services, as_user(alice), channel.id)
        archived = await subs.event("c")
        assert archived == {
            "__typename": "ChannelArchived",
            "cursor": archived["cursor"],
            "channel": {"isArchived": True},
        }
        cursors = [
            e["cursor"]
            for e in (posted, edited, added, removed, replied, deleted, joined, left, updated)
        ]
        assert len(set(cursors)) == len(cursors)


async def _carol(services: Services, personas: Personas) -> Any:
    from tests.support.personas import new_member

    return await new_member(services, personas.alice.org_id, "carol")


async def test_outsiders_cannot_subscribe(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Another org's channel, a private channel one is not in and a random id all look the
    same: NOT_FOUND, like the queries."""
    alice, bob, eve = personas.alice, personas.bob, personas.eve
    public = await make_channel(services, alice, "dev")
    private = await make_channel(services, alice, "hush", private=True)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(eve))
        subs = Subscriptions(ws)
        await subs.start("eve", CHANNEL_EVENTS, {"channelId": cid(public)})
        assert await subs.error_codes("eve") == ["NOT_FOUND"]
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("private", CHANNEL_EVENTS, {"channelId": cid(private)})
        assert await subs.error_codes("private") == ["NOT_FOUND"]
        await subs.start("random", CHANNEL_EVENTS, {"channelId": gid("Channel", private.org_id)})
        assert await subs.error_codes("random") == ["NOT_FOUND"]
        await subs.start("garbage", CHANNEL_EVENTS, {"channelId": "not-an-id"})
        assert await subs.error_codes("garbage") == ["NOT_FOUND"]
        # Public channels are readable by the whole org, members or not. From a cursor: a
        # subscription without one starts whenever the server gets to its frame.
        after = await event_cursor(gql, bob)
        await subs.start("public", CHANNEL_EVENTS, {"channelId": cid(public), "after": after})
        await post(services, alice, public, "hello org")
        assert (await subs.event("public"))["message"]["body"] == "hello org"


async def test_resume_delivers_exactly_what_was_missed(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Read 10, drop the socket, 200 changes happen, reconnect with the last cursor: exactly
    those events, in order, once; then live continues."""
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "dev", members=(bob,))
    other = await make_channel(services, alice, "elsewhere", members=(bob,))
    after = await event_cursor(gql, bob)
    token = await gql.token_for(bob)
    async with socket(live_server) as ws:
        await connected(ws, token)
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": after})
        first = [await post(services, alice, channel, f"m{i}") for i in range(10)]
        seen = await subs.events("c", 10)
        assert [e["message"]["id"] for e in seen] == [mid(m) for m in first]
    last_cursor = seen[-1]["cursor"]

    rng = random.Random(7)
    live = list(first)
    expected: list[tuple[str, str]] = []
    reacted: set[tuple[Any, str]] = set()
    for i in range(200):
        roll = rng.random()
        if roll < 0.1 and live:
            target = rng.choice(live)
            await msg.edit_message(services, as_user(alice), message_id=target.id, body=f"edit {i}")
            target = await _reload(services, target.id)
            live[live.index(next(m for m in live if m.id == target.id))] = target
            expected.append(("MessageEdited", mid(target)))
        elif roll < 0.15 and live:
            target = live.pop(rng.randrange(len(live)))
            await msg.delete_message(services, as_user(alice), target.id)
            expected.append(("MessageDeleted", mid(target)))
        elif roll < 0.25 and live:
            target = rng.choice(live)
            emoji = rng.choice(["👍", "🎉", "🚀", "👀"])
            if (target.id, emoji) in reacted:
                continue
            reacted.add((target.id, emoji))
            await rx.add_reaction(services, as_user(bob), target.id, emoji)
            expected.append(("ReactionAdded", mid(target)))
        elif roll < 0.3:
            await post(services, alice, other, f"noise {i}")  # another channel: not delivered
        else:
            message = await post(services, alice, channel, f"p{i}")
            live.append(message)
            expected.append(("MessagePosted", mid(message)))

    async with socket(live_server) as ws:
        await connected(ws, token)
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": last_cursor})
        replayed = await subs.events("c", len(expected))
        assert [(e["__typename"], e["message"]["id"]) for e in replayed] == expected
        assert len({e["cursor"] for e in replayed}) == len(replayed)
        tail = await post(services, alice, channel, "live again")
        nxt = await subs.event("c")
        assert (nxt["__typename"], nxt["message"]["id"]) == ("MessagePosted", mid(tail))
        assert subs.pending("c") == 0


async def _reload(services: Services, message_id: Any) -> Any:
    from workchat.db.models import Message

    async with services.db.read_session() as session:
        return await session.get(Message, message_id)


async def test_bad_cursors_get_resync_required(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    alice, eve = personas.alice, personas.eve
    channel = await make_channel(services, alice, "dev")
    foreign = await event_cursor(gql, eve)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(alice))
        subs = Subscriptions(ws)
        for op_id, cursor in (("garbage", "nope"), ("foreign", foreign), ("empty", "")):
            await subs.start(op_id, CHANNEL_EVENTS, {"channelId": cid(channel), "after": cursor})
            event = await subs.event(op_id)
            assert event["__typename"] == "ResyncRequired"
            assert event["reason"]
            await subs.completed(op_id)


async def test_cursor_older_than_retention_gets_resync_required(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    from datetime import timedelta

    from workchat.db.base import utcnow

    alice = personas.alice
    channel = await make_channel(services, alice, "dev")
    old = await event_cursor(gql, alice)
    await post(services, alice, channel, "soon pruned")
    await prune_events(services.db, older_than=utcnow() + timedelta(seconds=1))
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(alice))
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": old})
        event = await subs.event("c")
        assert event["__typename"] == "ResyncRequired"
        await subs.completed("c")


async def test_leaving_a_private_channel_ends_the_stream(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    private = await make_channel(services, alice, "hush", private=True, members=(bob,))
    after = await event_cursor(gql, bob)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(private), "after": after})
        await post(services, alice, private, "before")
        assert (await subs.event("c"))["message"]["body"] == "before"
        await ch.leave_channel(services, as_user(bob), private.id)
        left = await subs.event("c")
        assert left["__typename"] == "MemberLeft"
        assert left["user"] == {"displayName": "Bob"}
        await subs.completed("c")
        await post(services, alice, private, "after bob left")
        # The socket lives on (other operations work) but nothing more arrives for "c".
        await subs.start("v", EVENT_CURSOR, {})
        assert (await subs.event("v")) is not None
        assert subs.pending("c") == 0


async def test_typing_reaches_other_subscribers_once_per_three_seconds(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "dev", members=(bob,))
    root = await post(services, alice, channel, "thread root")
    after = await event_cursor(gql, bob)
    async with socket(live_server) as ws:
        await connected(ws, await gql.token_for(bob))
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": after})
        # A durable event first: once it arrives, the subscription is surely live.
        marker = await post(services, alice, channel, "marker")
        assert (await subs.event("c"))["message"]["id"] == mid(marker)
        typing = {"channelId": cid(channel), "threadId": mid(root)}
        for _ in range(3):
            result = await gql.execute(SET_TYPING, {"input": typing}, as_=alice)
            assert result["data"]["setTyping"]["errors"] == []
        started = await subs.event("c")
        assert started["__typename"] == "TypingStarted"
        assert started["user"] == {"displayName": "Alice"}
        assert started["threadId"] == mid(root)
        assert started["expiresAt"]
        # The two repeats within 3 s were dropped: the next thing bob sees is the next post.
        later = await post(services, alice, channel, "typed")
        assert (await subs.event("c"))["message"]["id"] == mid(later)


async def test_set_typing_checks_access(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    private = await make_channel(services, personas.alice, "hush", private=True)
    result = await gql.execute(SET_TYPING, {"input": {"channelId": cid(private)}}, as_=personas.bob)
    assert [e["code"] for e in result["data"]["setTyping"]["errors"]] == ["NOT_FOUND"]


async def test_resume_works_across_a_server_restart(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """The cursor names a row of the durable log: a new server process (new hub, new bus
    connection, nothing in memory) resumes from it exactly."""
    from tests.support.server import serve
    from workchat.app import create_app

    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "dev", members=(bob,))
    after = await event_cursor(gql, bob)
    token = await gql.token_for(bob)
    async with socket(live_server) as ws:
        await connected(ws, token)
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": after})
        await post(services, alice, channel, "before the restart")
        last = await subs.event("c")
    missed = [await post(services, alice, channel, f"while down {i}") for i in range(3)]
    restarted = Services.create(services.settings)
    await restarted.start()
    try:
        async with (
            serve(create_app(restarted.settings, restarted)) as address,
            socket(address) as ws,
        ):
            await connected(ws, token)
            subs = Subscriptions(ws)
            await subs.start(
                "c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": last["cursor"]}
            )
            got = await subs.events("c", 3)
            assert [e["message"]["id"] for e in got] == [mid(m) for m in missed]
            live = await post(restarted, alice, channel, "after the restart")
            assert (await subs.event("c"))["message"]["id"] == mid(live)
    finally:
        await restarted.close()
