"""SQLite group commit: writers of one process that queue behind each other share one
transaction and one COMMIT, each in its own SAVEPOINT. A writer that fails rolls back only its
own writes and gets its own error; the others are answered only once the COMMIT is done."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import pytest
from sqlalchemy import event, select, update

from tests.events.helpers import write_events
from tests.support.db import audit_entries, count_rows, events
from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.audit import verify_chain
from workchat.db.models import Channel, Message
from workchat.services import Services


class Boom(Exception):
    pass


def _count_commits(services: Services) -> list[int]:
    commits = [0]

    @event.listens_for(services.db.write_engine.sync_engine, "commit")
    def on_commit(_conn: Any) -> None:
        commits[0] += 1

    return commits


async def _stored(services: Services, message_id: uuid.UUID) -> bool:
    # A separate (reader) connection: sees only committed rows.
    async with services.db.read_session() as session:
        return await session.get(Message, message_id) is not None


async def test_a_failing_writer_rolls_back_only_its_savepoint(
    services: Services, personas: Personas
) -> None:
    if not services.db.is_sqlite:
        pytest.skip("group commit is how SQLite's single writer is shared")
    alice = as_user(personas.alice)
    channel = await ch.create_channel(services, alice, name="shared")
    audited = len(await audit_entries(services, personas.alice.org_id))
    commits = _count_commits(services)

    async def post(n: int) -> bool:
        message = await msg.post_message(
            services, alice, channel_id=channel.id, body=f"post {n}", client_mutation_id=f"g{n}"
        )
        return await _stored(services, message.id)  # acknowledged = committed

    async def rename_then_fail() -> None:
        async with services.db.write_session() as session, session.begin():
            await session.execute(
                update(Channel).where(Channel.id == channel.id).values(name="renamed")
            )
            raise Boom("this writer fails after writing")

    results = await asyncio.gather(
        post(1), post(2), rename_then_fail(), post(3), post(4), return_exceptions=True
    )

    assert results[:2] == [True, True] and results[3:] == [True, True]
    assert isinstance(results[2], Boom)
    assert commits[0] < 4  # the successful writers shared commits
    async with services.db.read_session() as session:
        assert await session.scalar(select(Channel.name).where(Channel.id == channel.id)) == (
            "shared"
        )
        seqs = list(
            await session.scalars(
                select(Message.seq).where(Message.channel_id == channel.id).order_by(Message.seq)
            )
        )
    assert seqs == [1, 2, 3, 4]
    entries = (await audit_entries(services, personas.alice.org_id))[audited:]
    assert [e.action for e in entries] == ["message.post"] * 4


async def test_a_refused_action_in_a_batch_gets_its_own_error(
    services: Services, personas: Personas
) -> None:
    """An action refused after its statements ran (a stale expectedVersion) changes nothing
    and answers its own code, while posts batched with it are stored."""
    alice = as_user(personas.alice)
    channel = await ch.create_channel(services, alice, name="mixed")
    first = await msg.post_message(services, alice, channel_id=channel.id, body="v1")

    outcomes = await asyncio.gather(
        msg.post_message(services, alice, channel_id=channel.id, body="a"),
        msg.edit_message(services, alice, message_id=first.id, body="v2", expected_version=7),
        msg.post_message(services, alice, channel_id=channel.id, body="b"),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], Message) and isinstance(outcomes[2], Message)
    assert getattr(outcomes[1], "code", None) is not None
    assert outcomes[1].code.value == "VERSION_CONFLICT"  # type: ignore[union-attr]
    assert await _stored(services, outcomes[0].id) and await _stored(services, outcomes[2].id)
    assert await count_rows(services, Message, channel_id=channel.id) == 3
    async with services.db.read_session() as session:
        stored = await session.get(Message, first.id)
    assert stored is not None and stored.body == "v1" and stored.version == 1


async def test_a_retry_batched_with_its_original_gets_the_same_message(
    services: Services, personas: Personas
) -> None:
    """Two calls with one clientMutationId at once (possibly in one batch, where the first is
    not committed yet): one message, both answered with it once it is committed."""
    alice = as_user(personas.alice)
    channel = await ch.create_channel(services, alice, name="twice")
    first, second = await asyncio.gather(
        *(
            msg.post_message(
                services, alice, channel_id=channel.id, body="once", client_mutation_id="same"
            )
            for _ in range(2)
        )
    )
    assert first.id == second.id
    assert await _stored(services, first.id)
    assert await count_rows(services, Message, channel_id=channel.id) == 1


async def _chain_ok(services: Services, org_id: uuid.UUID) -> bool:
    async with services.db.read_session() as session:
        return (await verify_chain(session, org_id)).first_bad is None


async def test_chain_heads_follow_another_connections_writes(
    services: Services, second_services: Services, personas: Personas
) -> None:
    """Writers remember the audit and event heads they left (the writer memo), and forget
    them when another connection wrote in between: each audit entry and each published
    event chains to the one really before it."""
    alice = as_user(personas.alice)
    org_id = personas.alice.org_id
    channel = await ch.create_channel(services, alice, name="two-writers")
    published = []
    for writer in (services, second_services, services, services, second_services, services):
        await msg.post_message(writer, alice, channel_id=channel.id, body="hello")
        published += await write_events(writer, org_id, 1)
    assert await _chain_ok(services, org_id)
    for previous, current in itertools.pairwise(published):
        assert current.prev_seq == previous.seq + 1  # the post's MessagePosted in between
    logged = await events(services, org_id)
    by_seq = {row.seq: row for row in logged}
    for probe in published:
        assert probe.prev_seq is not None and by_seq[probe.prev_seq].type == "message.posted"


async def test_a_rolled_back_savepoint_leaves_no_remembered_head(
    services: Services, personas: Personas
) -> None:
    """A post nested in a writer that then fails is rolled back with it (its audit entry and
    event too): the next post chains to the entry before it, not to the rolled back one."""
    if not services.db.is_sqlite:
        pytest.skip("nested writers share a transaction only under SQLite's group commit")
    alice = as_user(personas.alice)
    org_id = personas.alice.org_id
    channel = await ch.create_channel(services, alice, name="nested")
    await msg.post_message(services, alice, channel_id=channel.id, body="kept")
    audited = len(await audit_entries(services, org_id))

    async def post_then_fail() -> None:
        async with services.db.write_session() as session, session.begin():
            # A statement first: the outer savepoint begins with it, around the nested one.
            await session.execute(
                update(Channel).where(Channel.id == channel.id).values(name="outer")
            )
            await msg.post_message(services, alice, channel_id=channel.id, body="rolled back")
            raise Boom("the outer writer fails after the nested post")

    with pytest.raises(Boom):
        await post_then_fail()
    after = await msg.post_message(services, alice, channel_id=channel.id, body="after")
    entries = (await audit_entries(services, org_id))[audited:]
    assert [e.target_id for e in entries] == [str(after.id)]
    assert await _chain_ok(services, org_id)
    published = await write_events(services, org_id, 1)
    logged = await events(services, org_id)
    assert published[0].prev_seq == logged[-2].seq
