"""Read markers move forward only; unread and mention counts follow from them."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from tests.support.db import audit_entries, events, snapshot, typed
from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions import read_state as rs
from workchat.db.models import Membership
from workchat.errors import ActionError, ErrorCode
from workchat.events import catalogue as ev
from workchat.services import Services


async def test_unread_counts_and_marker(services: Services, personas: Personas) -> None:
    alice, bob = as_user(personas.alice), as_user(personas.bob)
    channel = await ch.create_channel(services, alice, name="news")
    await ch.join_channel(services, bob, channel.id)
    posted = [
        await msg.post_message(services, alice, channel_id=channel.id, body=body)
        for body in ("one", "hey @Bob look", "three")
    ]
    await msg.post_message(services, bob, channel_id=channel.id, body="mine")  # not unread
    async with services.db.read_session() as session:
        state = (await rs.unread_states(session, bob, [channel.id]))[channel.id]
    assert (state.unread, state.mentions) == (3, 1)

    await rs.mark_channel_read(services, bob, channel_id=channel.id, up_to_message_id=posted[1].id)
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert (entry.action, entry.diff["after"]) == ("read.mark", {"last_read_seq": posted[1].seq})
    event = (await events(services, personas.bob.org_id))[-1]
    assert (event.type, event.user_id, event.channel_id) == (
        "unread.changed",
        personas.bob.id,
        None,
    )
    assert typed(event) == ev.UnreadChanged(
        org_id=personas.bob.org_id,
        user_id=personas.bob.id,
        channel_id=channel.id,
        last_read_seq=posted[1].seq,
    )
    async with services.db.read_session() as session:
        state = (await rs.unread_states(session, bob, [channel.id]))[channel.id]
    assert (state.unread, state.mentions) == (1, 0)

    before = await snapshot(services)  # backwards is a no-op
    await rs.mark_channel_read(services, bob, channel_id=channel.id, up_to_message_id=posted[0].id)
    assert await snapshot(services) == before

    await msg.delete_message(services, alice, posted[2].id)  # deleted ones are not unread
    async with services.db.read_session() as session:
        state = (await rs.unread_states(session, bob, [channel.id]))[channel.id]
    assert state.unread == 0


async def test_refusals(services: Services, personas: Personas) -> None:
    alice, bob = as_user(personas.alice), as_user(personas.bob)
    channel = await ch.create_channel(services, alice, name="news")
    other = await ch.create_channel(services, alice, name="other")
    message = await msg.post_message(services, alice, channel_id=channel.id, body="x")
    elsewhere = await msg.post_message(services, alice, channel_id=other.id, body="y")
    before = await snapshot(services)
    for viewer, channel_id, message_id, code in [
        (bob, channel.id, message.id, ErrorCode.NOT_A_MEMBER),
        (as_user(personas.eve), channel.id, message.id, ErrorCode.NOT_FOUND),
        (alice, channel.id, elsewhere.id, ErrorCode.NOT_FOUND),
        (alice, channel.id, uuid.uuid4(), ErrorCode.NOT_FOUND),
    ]:
        with pytest.raises(ActionError) as caught:
            await rs.mark_channel_read(
                services, viewer, channel_id=channel_id, up_to_message_id=message_id
            )
        assert caught.value.code is code
    assert await snapshot(services) == before


async def test_a_new_member_starts_with_nothing_unread(
    services: Services, personas: Personas
) -> None:
    alice, bob = as_user(personas.alice), as_user(personas.bob)
    channel = await ch.create_channel(services, alice, name="history")
    for index in range(3):
        await msg.post_message(services, alice, channel_id=channel.id, body=str(index))
    await ch.join_channel(services, bob, channel.id)
    async with services.db.read_session() as session:
        assert (await rs.unread_states(session, bob, [channel.id]))[channel.id].unread == 0


async def test_concurrent_marks_never_move_the_marker_back(
    services: Services, personas: Personas
) -> None:
    """Two devices mark at once, one further than the other: the marker ends at the further
    message whatever the order (the UPDATE itself only moves forward), and each mark that
    moved it left one audit entry."""
    alice, bob = as_user(personas.alice), as_user(personas.bob)
    channel = await ch.create_channel(services, alice, name="race")
    await ch.join_channel(services, bob, channel.id)
    posted = [
        await msg.post_message(services, alice, channel_id=channel.id, body=str(n))
        for n in range(12)
    ]
    since = len(await audit_entries(services, personas.bob.org_id))
    for near, far in zip(posted[0:10:2], posted[1:11:2], strict=True):
        await asyncio.gather(
            *(
                rs.mark_channel_read(services, bob, channel_id=channel.id, up_to_message_id=m.id)
                for m in (far, near)
            )
        )
        async with services.db.read_session() as session:
            marker = await session.scalar(
                select(Membership.last_read_seq).where(
                    Membership.channel_id == channel.id,
                    Membership.user_id == personas.bob.id,
                )
            )
        assert marker == far.seq
    marks = [
        entry
        for entry in (await audit_entries(services, personas.bob.org_id))[since:]
        if entry.action == "read.mark"
    ]
    moves = [(entry.diff["before"], entry.diff["after"]) for entry in marks]
    assert all(b["last_read_seq"] < a["last_read_seq"] for b, a in moves)
    assert moves[-1][1] == {"last_read_seq": posted[9].seq}
