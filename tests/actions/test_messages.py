"""Messages: seq without gaps, threads, idempotent retries, versioned edits, soft deletes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from tests.support.db import audit_entries, events, snapshot, typed
from tests.support.personas import Personas, as_user, new_member
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.db.models import Channel, Message, MessageRevision
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.events import catalogue as ev
from workchat.services import Services


async def _code(coro: object) -> ErrorCode:
    with pytest.raises(ActionError) as caught:
        await coro  # type: ignore[misc]
    return caught.value.code


@pytest.fixture
async def channel(services: Services, personas: Personas) -> Channel:
    created = await ch.create_channel(services, as_user(personas.alice), name="dev")
    await ch.join_channel(services, as_user(personas.bob), created.id)
    return created


async def test_post_root_message(services: Services, personas: Personas, channel: Channel) -> None:
    message = await msg.post_message(
        services, as_user(personas.bob), channel_id=channel.id, body="  hello  "
    )
    assert (message.body, message.version, message.seq) == ("hello", 1, 1)
    assert message.thread_id == message.id
    assert message.author_id == personas.bob.id
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert (entry.action, entry.target_id) == ("message.post", str(message.id))
    assert entry.diff["after"]["body"] == "hello"
    event = (await events(services, personas.bob.org_id))[-1]
    assert event.channel_id == channel.id
    assert typed(event) == ev.MessagePosted(
        org_id=channel.org_id,
        channel_id=channel.id,
        message_id=message.id,
        thread_id=message.id,
        author_id=personas.bob.id,
        seq=1,
        version=1,
        mentions=(),
    )


async def test_replies_update_the_root(
    services: Services, personas: Personas, channel: Channel
) -> None:
    root = await msg.post_message(
        services, as_user(personas.alice), channel_id=channel.id, body="q"
    )
    reply = await msg.post_message(
        services, as_user(personas.bob), channel_id=channel.id, body="a", thread_id=root.id
    )
    assert (reply.thread_id, reply.seq) == (root.id, 2)
    async with services.db.read_session() as session:
        stored = await session.get(Message, root.id)
        assert stored is not None
        assert (stored.reply_count, stored.last_reply_at) == (1, reply.created_at)
        replies, more = await msg.list_replies(session, stored, msg.SeqWindow(limit=10))
        roots, _ = await msg.list_roots(session, channel, msg.SeqWindow(limit=10))
    assert ([r.id for r in replies], more) == ([reply.id], False)
    assert [r.id for r in roots] == [root.id]


async def test_post_refusals_change_nothing(
    services: Services, personas: Personas, channel: Channel
) -> None:
    root = await msg.post_message(
        services, as_user(personas.alice), channel_id=channel.id, body="q"
    )
    reply = await msg.post_message(
        services, as_user(personas.alice), channel_id=channel.id, body="a", thread_id=root.id
    )
    other = await ch.create_channel(services, as_user(personas.alice), name="other")
    elsewhere = await msg.post_message(
        services, as_user(personas.alice), channel_id=other.id, body="x"
    )
    carol = await new_member(services, personas.alice.org_id, "carol")
    before = await snapshot(services)
    bob = as_user(personas.bob)
    cases = [
        (
            msg.post_message(services, bob, channel_id=channel.id, body="   "),
            ErrorCode.INVALID_INPUT,
        ),
        (
            msg.post_message(services, bob, channel_id=channel.id, body="x" * 40_001),
            ErrorCode.INVALID_INPUT,
        ),
        (
            msg.post_message(services, carol, channel_id=channel.id, body="hi"),
            ErrorCode.NOT_A_MEMBER,
        ),
        (msg.post_message(services, bob, channel_id=uuid.uuid4(), body="hi"), ErrorCode.NOT_FOUND),
        (
            msg.post_message(services, as_user(personas.eve), channel_id=channel.id, body="hi"),
            ErrorCode.NOT_FOUND,
        ),
        (
            msg.post_message(services, bob, channel_id=channel.id, body="hi", thread_id=reply.id),
            ErrorCode.THREAD_NOT_FOUND,
        ),
        (
            msg.post_message(
                services, bob, channel_id=channel.id, body="hi", thread_id=elsewhere.id
            ),
            ErrorCode.THREAD_NOT_FOUND,
        ),
        (
            msg.post_message(
                services, bob, channel_id=channel.id, body="hi", thread_id=uuid.uuid4()
            ),
            ErrorCode.THREAD_NOT_FOUND,
        ),
        (
            msg.post_message(
                services, bob, channel_id=channel.id, body="hi", client_mutation_id="x" * 65
            ),
            ErrorCode.INVALID_INPUT,
        ),
    ]
    for coro, code in cases:
        assert await _code(coro) is code
    assert await snapshot(services) == before


async def test_body_limits(services: Services, personas: Personas, channel: Channel) -> None:
    longest = await msg.post_message(
        services, as_user(personas.bob), channel_id=channel.id, body="é" * 40_000
    )
    assert len(longest.body) == 40_000
    assert (
        await _code(
            msg.post_message(services, as_user(personas.bob), channel_id=channel.id, body="a\x00b")
        )
        is ErrorCode.INVALID_INPUT
    )


async def test_archived_channels_refuse_posts(
    services: Services, personas: Personas, channel: Channel
) -> None:
    await ch.archive_channel(services, as_user(personas.alice), channel.id)
    before = await snapshot(services)
    assert (
        await _code(
            msg.post_message(services, as_user(personas.bob), channel_id=channel.id, body="hi")
        )
        is ErrorCode.CHANNEL_ARCHIVED
    )
    assert await snapshot(services) == before


async def test_retry_with_the_same_client_mutation_id_creates_nothing(
    services: Services, personas: Personas, channel: Channel
) -> None:
    bob = as_user(personas.bob)
    first = await msg.post_message(
        services, bob, channel_id=channel.id, body="once", client_mutation_id="m-1"
    )
    before = await snapshot(services)
    again = await msg.post_message(
        services, bob, channel_id=channel.id, body="once", client_mutation_id="m-1"
    )
    assert again.id == first.id
    assert await snapshot(services) == before
    # the seq the retry briefly took was rolled back: the next post has no gap
    nxt = await msg.post_message(services, bob, channel_id=channel.id, body="next")
    assert nxt.seq == first.seq + 1
    # another user may use the same key
    other = await msg.post_message(
        services,
        as_user(personas.alice),
        channel_id=channel.id,
        body="once",
        client_mutation_id="m-1",
    )
    assert other.id != first.id


async def test_concurrent_posts_get_distinct_gapless_seqs(
    services: Services, personas: Personas, channel: Channel
) -> None:
    bob, alice = as_user(personas.bob), as_user(personas.alice)
    root = await msg.post_message(services, alice, channel_id=channel.id, body="root")
    posts = await asyncio.gather(
        *(
            msg.post_message(
                services,
                bob if i % 2 else alice,
                channel_id=channel.id,
                body=f"m{i}",
                thread_id=root.id if i % 3 == 0 else None,
            )
            for i in range(24)
        )
    )
    assert sorted(p.seq for p in posts) == list(range(2, 26))
    async with services.db.read_session() as session:
        stored = await session.get(Message, root.id)
        last_seq = await session.scalar(select(Channel.last_seq).where(Channel.id == channel.id))
    assert stored is not None and stored.reply_count == 8
    assert last_seq == 25


async def test_edit_keeps_a_revision(
    services: Services, personas: Personas, channel: Channel
) -> None:
    bob = as_user(personas.bob)
    message = await msg.post_message(services, bob, channel_id=channel.id, body="v1")
    edited = await msg.edit_message(
        services, bob, message_id=message.id, body="v2", expected_version=1
    )
    assert (edited.body, edited.version) == ("v2", 2)
    assert edited.edited_at is not None
    async with services.db.read_session() as session:
        revisions = list(await session.scalars(select(MessageRevision)))
    assert [(r.version, r.body, r.edited_by) for r in revisions] == [(1, "v1", personas.bob.id)]
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert entry.action == "message.edit"
    assert entry.diff["before"] == {"body": "v1", "version": 1}
    assert entry.diff["after"] == {"body": "v2", "version": 2}
    assert {"op": "replace", "path": "/body", "value": "v2"} in entry.diff["patch"]
    assert (await events(services, personas.bob.org_id))[-1].type == "message.edited"
    before = await snapshot(services)
    same = await msg.edit_message(services, bob, message_id=message.id, body="v2")
    assert same.version == 2
    assert await snapshot(services) == before


async def test_edit_refusals(services: Services, personas: Personas, channel: Channel) -> None:
    bob = as_user(personas.bob)
    message = await msg.post_message(services, bob, channel_id=channel.id, body="v1")
    await msg.edit_message(services, bob, message_id=message.id, body="v2")
    before = await snapshot(services)
    with pytest.raises(ActionError) as caught:
        await msg.edit_message(services, bob, message_id=message.id, body="v3", expected_version=1)
    assert caught.value.code is ErrorCode.VERSION_CONFLICT
    assert (caught.value.field, caught.value.message) == (
        "expectedVersion",
        "the message is at version 2, not 1",
    )
    with pytest.raises(Forbidden):
        await msg.edit_message(services, as_user(personas.alice), message_id=message.id, body="x")
    assert (
        await _code(
            msg.edit_message(services, as_user(personas.eve), message_id=message.id, body="x")
        )
        is ErrorCode.NOT_FOUND
    )
    assert (
        await _code(msg.edit_message(services, bob, message_id=message.id, body="  "))
        is ErrorCode.INVALID_INPUT
    )
    assert await snapshot(services) == before
    await msg.delete_message(services, bob, message.id)
    assert (
        await _code(msg.edit_message(services, bob, message_id=message.id, body="back"))
        is ErrorCode.MESSAGE_DELETED
    )


async def test_delete_is_a_tombstone(
    services: Services, personas: Personas, channel: Channel
) -> None:
    bob = as_user(personas.bob)
    root = await msg.post_message(services, bob, channel_id=channel.id, body="secret")
    reply = await msg.post_message(
        services, as_user(personas.alice), channel_id=channel.id, body="r", thread_id=root.id
    )
    with pytest.raises(Forbidden):
        await msg.delete_message(
            services, await new_member(services, personas.bob.org_id, "c"), root.id
        )
    deleted = await msg.delete_message(services, bob, root.id)
    assert (deleted.body, deleted.deleted_at is not None, deleted.version) == ("", True, 2)
    async with services.db.read_session() as session:
        kept = await session.get(Message, reply.id)
    assert kept is not None and kept.body == "r"
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert (entry.action, entry.diff["before"]["body"]) == ("message.delete", "secret")
    assert (await events(services, personas.bob.org_id))[-1].type == "message.deleted"
    before = await snapshot(services)
    await msg.delete_message(services, as_user(personas.alice), root.id)  # already gone: no-op
    assert await snapshot(services) == before
    assert (
        await _code(
            msg.post_message(services, bob, channel_id=channel.id, body="x", thread_id=root.id)
        )
        is ErrorCode.THREAD_NOT_FOUND
    )
    # admins may delete others' messages
    await msg.delete_message(
        services,
        as_user(personas.alice),
        (await msg.post_message(services, bob, channel_id=channel.id, body="y")).id,
    )


async def test_pages_by_seq(services: Services, personas: Personas, channel: Channel) -> None:
    bob = as_user(personas.bob)
    posted = [
        await msg.post_message(services, bob, channel_id=channel.id, body=str(i)) for i in range(7)
    ]
    async with services.db.read_session() as session:
        newest, older = await msg.list_roots(
            session, channel, msg.SeqWindow(limit=3, from_end=True)
        )
        assert [m.body for m in newest] == ["4", "5", "6"] and older
        earlier, more = await msg.list_roots(
            session, channel, msg.SeqWindow(limit=3, before=newest[0].seq, from_end=True)
        )
        assert [m.body for m in earlier] == ["1", "2", "3"] and more
        forward, more = await msg.list_roots(
            session, channel, msg.SeqWindow(limit=10, after=posted[4].seq)
        )
        assert [m.body for m in forward] == ["5", "6"] and not more
