"""Mentions are resolved when a message is written: any script, any case, whole names."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.support.db import events, typed
from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions.mentions import KEYS_PER_QUERY, find_mentions, mention_key, words_after_at
from workchat.db.models import Mention, User
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


def test_mention_key_is_the_folded_first_word() -> None:
    assert mention_key("Anna Lee") == "anna"
    assert mention_key("  ÉMILE zola") == "émile"
    assert mention_key("Straße") == "strasse"
    assert mention_key("_bot") == ""
    assert mention_key("(Bob)") == ""
    assert words_after_at("hi @Anna Lee, @ÉMILE and @anna; mail x@y") == {"anna", "émile", "y"}


async def test_the_stored_key_is_what_mentions_match(
    services: Services, personas: Personas
) -> None:
    async with services.db.read_session() as session:
        keys = dict((await session.execute(select(User.display_name, User.mention_key))).all())
    assert keys == {"Alice": "alice", "Bob": "bob", "Eve": "eve"}


async def test_many_words_after_at_are_read_in_chunks(
    services: Services, personas: Personas
) -> None:
    """More distinct "@words" than one candidate query takes: the name at the end still
    counts."""
    alice, bob = as_user(personas.alice), as_user(personas.bob)
    channel = await ch.create_channel(services, alice, name="crowd")
    await ch.join_channel(services, bob, channel.id)
    noise = " ".join(f"@w{n}" for n in range(KEYS_PER_QUERY + 20))
    posted = await msg.post_message(services, alice, channel_id=channel.id, body=f"{noise} @Bob")
    assert await _mentioned(services, posted.id) == {personas.bob.id}


async def test_a_namesake_in_another_org_is_not_mentioned(
    services: Services, personas: Personas
) -> None:
    """Eve of Evil Corp has the key "eve"; Acme's "@Eve" names nobody, and Evil Corp's names
    her."""
    eve = as_user(personas.eve)
    alice = as_user(personas.alice)
    acme_channel = await ch.create_channel(services, alice, name="acme-room")
    posted = await msg.post_message(services, alice, channel_id=acme_channel.id, body="@Eve?")
    assert await _mentioned(services, posted.id) == set()
    evil_channel = await ch.create_channel(services, eve, name="lair")
    own = await msg.post_message(services, eve, channel_id=evil_channel.id, body="note to @eve")
    assert await _mentioned(services, own.id) == {personas.eve.id}
