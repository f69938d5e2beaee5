"""Mentions are resolved when a message is written: any script, any case, whole names."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.support.db import events, typed
from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions.mentions import find_mentions
from workchat.db.models import Mention
from workchat.events import catalogue as ev
from workchat.services import Services

AL, ALICE, ANN, ANNA_LEE = (uuid.UUID(int=i) for i in range(1, 5))
PEOPLE = [(AL, "Al"), (ALICE, "Alice"), (ANN, "Ann"), (ANNA_LEE, "Anna Lee")]


def test_whole_names_only() -> None:
    assert find_mentions("ping @Alice", PEOPLE) == {ALICE}
    assert find_mentions("ping @al, @ALICE!", PEOPLE) == {AL, ALICE}
    assert find_mentions("ping @Anna Lee and @ann", PEOPLE) == {ANNA_LEE, ANN}
    assert find_mentions("@Anna Leeway", PEOPLE) == set()
    assert find_mentions("mail al@example.com", PEOPLE) == set()
    assert find_mentions("no at sign Alice", PEOPLE) == set()


def test_any_script_and_case() -> None:
    emile = uuid.UUID(int=9)
    assert find_mentions("salut @ÉMILE.", [(emile, "Émile")]) == {emile}
    assert find_mentions("@Émile", [(emile, "émile")]) == {emile}
    assert find_mentions("@Emile", [(emile, "Émile")]) == set()


async def _mentioned(services: Services, message_id: uuid.UUID) -> set[uuid.UUID]:
    async with services.db.read_session() as session:
        return set(
            await session.scalars(select(Mention.user_id).where(Mention.message_id == message_id))
        )


async def test_post_and_edit_record_mentions(services: Services, personas: Personas) -> None:
    alice, bob = as_user(personas.alice), as_user(personas.bob)
    channel = await ch.create_channel(services, alice, name="ops")
    await ch.join_channel(services, bob, channel.id)
    posted = await msg.post_message(services, alice, channel_id=channel.id, body="@bob look")
    assert await _mentioned(services, posted.id) == {personas.bob.id}
    event = (await events(services, personas.alice.org_id))[-1]
    posted_event = typed(event)
    assert isinstance(posted_event, ev.MessagePosted)
    assert posted_event.mentions == (personas.bob.id,)
    await msg.edit_message(services, alice, message_id=posted.id, body="never mind")
    assert await _mentioned(services, posted.id) == set()
    # only members of the channel can be mentioned there
    other = await msg.post_message(services, alice, channel_id=channel.id, body="@Eve hi")
    assert await _mentioned(services, other.id) == set()
