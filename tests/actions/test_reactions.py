"""Reactions: validated emoji, members only, idempotent, summarized in one query."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.db import audit_entries, events, snapshot, typed
from tests.support.personas import Personas, as_user, new_member
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions import reactions as rx
from workchat.db.models import Message
from workchat.errors import ActionError, ErrorCode
from workchat.events import catalogue as ev
from workchat.services import Services


@pytest.fixture
async def message(services: Services, personas: Personas) -> Message:
    channel = await ch.create_channel(services, as_user(personas.alice), name="fun")
    await ch.join_channel(services, as_user(personas.bob), channel.id)
    return await msg.post_message(
        services, as_user(personas.alice), channel_id=channel.id, body="hi"
    )


@pytest.mark.parametrize(
    "emoji", ["👍", "❤️", "👍🏽", "👩‍💻", "🇫🇷", "1️⃣", ":party_parrot:", ":+1:", "✅"]
)
def test_valid_emoji(emoji: str) -> None:
    assert rx.clean_emoji(f" {emoji} ") == emoji


@pytest.mark.parametrize(
    "emoji", ["", "a", "hello", ":Upper:", "::", ":" + "a" * 63 + ":", "👍 👍", "<b>", "👍a", "1"]
)
def test_invalid_emoji(emoji: str) -> None:
    with pytest.raises(ActionError) as caught:
        rx.clean_emoji(emoji)
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_EMOJI, "emoji")


async def test_add_and_remove_are_idempotent(
    services: Services, personas: Personas, message: Message
) -> None:
    bob = as_user(personas.bob)
    await rx.add_reaction(services, bob, message.id, "👍")
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert (entry.action, entry.diff["after"]) == ("reaction.add", {"emoji": "👍"})
    event = (await events(services, personas.bob.org_id))[-1]
    reaction = {
        "org_id": message.org_id,
        "channel_id": message.channel_id,
        "message_id": message.id,
        "user_id": personas.bob.id,
        "emoji": "👍",
    }
    assert event.channel_id == message.channel_id
    assert typed(event) == ev.ReactionAdded(**reaction)
    before = await snapshot(services)
    await rx.add_reaction(services, bob, message.id, "👍")
    assert await snapshot(services) == before
    await rx.remove_reaction(services, bob, message.id, "👍")
    assert (await audit_entries(services, personas.bob.org_id))[-1].action == "reaction.remove"
    assert typed((await events(services, personas.bob.org_id))[-1]) == ev.ReactionRemoved(
        **reaction
    )
    before = await snapshot(services)
    await rx.remove_reaction(services, bob, message.id, "👍")
    assert await snapshot(services) == before


async def test_refusals_change_nothing(
    services: Services, personas: Personas, message: Message
) -> None:
    carol = await new_member(services, personas.bob.org_id, "carol")
    before = await snapshot(services)
    for viewer, emoji, code in [
        (as_user(personas.bob), "nope", ErrorCode.INVALID_EMOJI),
        (carol, "👍", ErrorCode.NOT_A_MEMBER),
        (as_user(personas.eve), "👍", ErrorCode.NOT_FOUND),
    ]:
        with pytest.raises(ActionError) as caught:
            await rx.add_reaction(services, viewer, message.id, emoji)
        assert caught.value.code is code
    assert await snapshot(services) == before
    await msg.delete_message(services, as_user(personas.alice), message.id)
    with pytest.raises(ActionError) as caught:
        await rx.add_reaction(services, as_user(personas.bob), message.id, "👍")
    assert caught.value.code is ErrorCode.MESSAGE_DELETED


async def test_summaries(services: Services, personas: Personas, message: Message) -> None:
    await rx.add_reaction(services, as_user(personas.bob), message.id, "👍")
    await rx.add_reaction(services, as_user(personas.alice), message.id, "👍")
    await rx.add_reaction(services, as_user(personas.alice), message.id, ":tada:")
    async with services.db.read_session() as session:
        summaries = await rx.reaction_summaries(session, personas.bob.id, [message.id])
    [thumbs, tada] = summaries[message.id]
    assert (thumbs.emoji, thumbs.count, thumbs.viewer_has_reacted) == ("👍", 2, True)
    assert thumbs.user_ids == [personas.bob.id, personas.alice.id]
    assert (tada.emoji, tada.count, tada.viewer_has_reacted) == (":tada:", 1, False)


async def test_reaction_count_follows_the_reactions(
    services: Services, personas: Personas, message: Message
) -> None:
    """messages.reaction_count (has:reaction's index) counts reaction rows, concurrent ones too."""
    alice, bob = as_user(personas.alice), as_user(personas.bob)

    async def counted() -> int:
        async with services.db.read_session() as session:
            stored = await session.get(Message, message.id, populate_existing=True)
            assert stored is not None
            return stored.reaction_count

    assert await counted() == 0
    await asyncio.gather(
        rx.add_reaction(services, bob, message.id, "👍"),
        rx.add_reaction(services, alice, message.id, "👍"),
        rx.add_reaction(services, bob, message.id, "🎉"),
    )
    await rx.add_reaction(services, bob, message.id, "👍")  # already there: no change
    assert await counted() == 3
    await rx.remove_reaction(services, bob, message.id, "👍")
    await rx.remove_reaction(services, bob, message.id, "👍")  # already gone: no change
    assert await counted() == 2
