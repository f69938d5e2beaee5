"""postMessage's clientMutationId is an idempotency key held unique per author by the
database: concurrent retries create one message on every backend, whichever channel they
name, and a key reused for a different post is refused.

Concurrency here is real: calls go through two separate ``Services`` (two engines, as two
server processes would), so on PostgreSQL they run in different transactions at once.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import false, select
from sqlalchemy.exc import IntegrityError

from tests.support.db import audit_entries, count_rows, events, snapshot
from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.db.models import Channel, Message
from workchat.errors import ActionError, ErrorCode
from workchat.services import Services

CALLS = 6


async def _channels(services: Services, personas: Personas, count: int) -> list[Channel]:
    created = []
    for index in range(count):
        channel = await ch.create_channel(services, as_user(personas.alice), name=f"room-{index}")
        await ch.join_channel(services, as_user(personas.bob), channel.id)
        created.append(channel)
    return created


async def _last_seqs(services: Services, channels: list[Channel]) -> list[int]:
    async with services.db.read_session() as session:
        return [
            int(await session.scalar(select(Channel.last_seq).where(Channel.id == c.id)) or 0)
            for c in channels
        ]


async def _posted(services: Services, org_id: uuid.UUID) -> int:
    return [e.action for e in await audit_entries(services, org_id)].count("message.post")


async def test_concurrent_retries_over_three_channels_create_one_message(
    services: Services, second_services: Services, personas: Personas
) -> None:
    """Six calls with one key spread over three channels, at once: one message; the calls
    naming its channel get it, the others INVALID_INPUT on clientMutationId; no seq is lost
    and exactly one audit entry and one event are written."""
    rooms = await _channels(services, personas, 3)
    bob = as_user(personas.bob)
    audited = await _posted(services, personas.bob.org_id)
    logged = len(await events(services, personas.bob.org_id))

    async def call(index: int) -> Message | ErrorCode:
        try:
            return await msg.post_message(
                (services, second_services)[index % 2],
                bob,
                channel_id=rooms[index % 3].id,
                body="hello",
                client_mutation_id="retry-1",
            )
        except ActionError as error:
            assert error.field == "clientMutationId"
            return error.code

    results = await asyncio.gather(*(call(i) for i in range(CALLS)))

    rows = await count_rows(services, Message, client_mutation_id="retry-1")
    assert rows == 1
    posted = [r for r in results if isinstance(r, Message)]
    winner = posted[0]
    assert {m.id for m in posted} == {winner.id}
    won = next(i for i, room in enumerate(rooms) if room.id == winner.channel_id)
    for index, result in enumerate(results):
        if index % 3 == won:
            assert isinstance(result, Message) and result.id == winner.id
        else:
            assert result is ErrorCode.INVALID_INPUT
    assert await _last_seqs(services, rooms) == [1 if i == won else 0 for i in range(3)]
    assert await _posted(services, personas.bob.org_id) == audited + 1
    assert len(await events(services, personas.bob.org_id)) == logged + 1


async def test_concurrent_identical_replies_count_once(
    services: Services, second_services: Services, personas: Personas
) -> None:
    """Retries of one reply at once: one reply, the root's replyCount goes up by one."""
    (room,) = await _channels(services, personas, 1)
    root = await msg.post_message(services, as_user(personas.alice), channel_id=room.id, body="q")
    bob = as_user(personas.bob)
    replies = await asyncio.gather(
        *(
            msg.post_message(
                (services, second_services)[i % 2],
                bob,
                channel_id=room.id,
                body="answer",
                thread_id=root.id,
                client_mutation_id="reply-1",
            )
            for i in range(CALLS)
        )
    )
    assert len({reply.id for reply in replies}) == 1
    async with services.db.read_session() as session:
        stored = await session.get(Message, root.id)
    assert stored is not None and stored.reply_count == 1
    assert await _last_seqs(services, [room]) == [2]


async def test_a_key_names_one_post(services: Services, personas: Personas) -> None:
    """Reusing a key for another body, thread or channel is INVALID_INPUT and writes nothing;
    a retry of an edited message still gets it back (its first body is gone from the row)."""
    rooms = await _channels(services, personas, 2)
    bob = as_user(personas.bob)
    first = await msg.post_message(
        services, bob, channel_id=rooms[0].id, body="hi", client_mutation_id="k"
    )
    before = await snapshot(services)
    for changed in (
        {"channel_id": rooms[0].id, "body": "other"},
        {"channel_id": rooms[1].id, "body": "hi"},
        {"channel_id": rooms[0].id, "body": "hi", "thread_id": first.id},
    ):
        with pytest.raises(ActionError) as caught:
            await msg.post_message(services, bob, client_mutation_id="k", **changed)  # type: ignore[arg-type]
        assert (caught.value.code, caught.value.field) == (
            ErrorCode.INVALID_INPUT,
            "clientMutationId",
        )
    assert await snapshot(services) == before

    await msg.edit_message(services, bob, message_id=first.id, body="hi, edited")
    again = await msg.post_message(
        services, bob, channel_id=rooms[0].id, body="hi", client_mutation_id="k"
    )
    assert (again.id, again.version, again.body) == (first.id, 2, "hi, edited")


async def test_the_key_is_per_author(
    services: Services, second_services: Services, personas: Personas
) -> None:
    """Two authors using the same key at once each get their own message."""
    (room,) = await _channels(services, personas, 1)
    posts = await asyncio.gather(
        msg.post_message(
            services, as_user(personas.bob), channel_id=room.id, body="a", client_mutation_id="k"
        ),
        msg.post_message(
            second_services,
            as_user(personas.alice),
            channel_id=room.id,
            body="a",
            client_mutation_id="k",
        ),
    )
    assert {p.author_id for p in posts} == {personas.bob.id, personas.alice.id}
    assert sorted(p.seq for p in posts) == [1, 2]


async def test_the_index_decides_when_the_check_misses(
    services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the in-transaction lookup blinded (as when a racing call has not committed yet),
    the unique index refuses the second insert, and the caller gets the first message; the
    refused transaction leaves nothing behind (no seq, audit entry or event)."""
    (room,) = await _channels(services, personas, 1)
    bob = as_user(personas.bob)
    first = await msg.post_message(
        services, bob, channel_id=room.id, body="hi", client_mutation_id="k"
    )
    before = await snapshot(services)
    real = msg._earlier_post
    calls: list[str] = []

    async def counted(*args: object) -> uuid.UUID | None:
        calls.append("lookup")
        return await real(*args)  # type: ignore[arg-type]

    # The in-transaction check (it rides with the channel preload) finds nothing.
    monkeypatch.setattr(msg, "_EARLIER_POST", select(Message.id).where(false()).scalar_subquery())
    monkeypatch.setattr(msg, "_earlier_post", counted)
    again = await msg.post_message(
        services, bob, channel_id=room.id, body="hi", client_mutation_id="k"
    )
    assert again.id == first.id
    assert calls == ["lookup"]  # the answer after the index refused the insert
    assert await snapshot(services) == before
    assert await _last_seqs(services, [room]) == [1]


async def test_another_constraint_is_not_mistaken_for_a_retry(
    services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An IntegrityError that no earlier message with the key explains propagates."""
    (room,) = await _channels(services, personas, 1)
    bob = as_user(personas.bob)
    await msg.post_message(services, bob, channel_id=room.id, body="hi", client_mutation_id="k")

    async def never(*args: object) -> None:
        return None

    monkeypatch.setattr(msg, "_EARLIER_POST", select(Message.id).where(false()).scalar_subquery())
    monkeypatch.setattr(msg, "_earlier_post", never)
    with pytest.raises(IntegrityError):
        await msg.post_message(services, bob, channel_id=room.id, body="hi", client_mutation_id="k")
