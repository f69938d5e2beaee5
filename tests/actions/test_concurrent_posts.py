"""32 posters at once over 8 channels, half of them through a second ``Services`` (another
process's engines on the same database): every channel's seqs run 1..n without a gap, each
message has exactly one ``message.post`` audit entry and one ``MessagePosted`` event, the org's
events chain in order and the audit chain verifies, on every backend."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from sqlalchemy import select

from tests.support.db import audit_entries, events
from tests.support.personas import Personas, as_user, new_member
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.audit import verify_chain
from workchat.auth.viewer import Viewer
from workchat.db.models import Channel, Message
from workchat.events import catalogue as ev
from workchat.services import Services

POSTERS = 32
CHANNELS = 8
POSTS_EACH = 4


async def _poster(services: Services, viewer: Viewer, channel_id: uuid.UUID) -> list[uuid.UUID]:
    posted = []
    for n in range(POSTS_EACH):
        message = await msg.post_message(
            services,
            viewer,
            channel_id=channel_id,
            body=f"post {n} from {viewer.user_id}",
            client_mutation_id=f"k-{n}",
        )
        posted.append(message.id)
    return posted


async def test_32_concurrent_posters_get_gapless_seqs_and_one_audit_entry_each(
    services: Services, second_services: Services, personas: Personas
) -> None:
    alice = as_user(personas.alice)
    org_id = personas.alice.org_id
    channels = [
        (await ch.create_channel(services, alice, name=f"busy-{index}")).id
        for index in range(CHANNELS)
    ]
    posters = []
    for index in range(POSTERS):
        viewer = await new_member(services, org_id, f"poster{index}")
        await ch.join_channel(services, viewer, channels[index % CHANNELS])
        posters.append(viewer)
    audit_before = len(await audit_entries(services, org_id))
    events_before = len(await events(services, org_id))

    results = await asyncio.gather(
        *(
            _poster(services if index % 2 else second_services, viewer, channels[index % CHANNELS])
            for index, viewer in enumerate(posters)
        )
    )
    posted = [message_id for result in results for message_id in result]
    assert len(set(posted)) == POSTERS * POSTS_EACH

    async with services.db.read_session() as session:
        for channel_id in channels:
            in_channel = select(Message.seq).where(Message.channel_id == channel_id)
            seqs = list(await session.scalars(in_channel.order_by(Message.seq)))
            expected = POSTS_EACH * POSTERS // CHANNELS
            assert seqs == list(range(1, expected + 1))
            assert (
                await session.scalar(select(Channel.last_seq).where(Channel.id == channel_id))
                == expected
            )
        check = await verify_chain(session, org_id)
    assert check.first_bad is None

    entries = (await audit_entries(services, org_id))[audit_before:]
    per_message = Counter(e.target_id for e in entries if e.action == "message.post")
    assert per_message == Counter(str(message_id) for message_id in posted)
    assert len(entries) == len(posted)

    logged = (await events(services, org_id))[events_before:]
    assert sorted(row.payload["message_id"] for row in logged) == sorted(map(str, posted))
    assert all(row.type == ev.MessagePosted.type for row in logged)
    assert [row.seq for row in logged] == sorted(row.seq for row in logged)
