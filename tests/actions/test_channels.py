"""Channel actions: naming, privacy, archiving, membership, #general; all audited."""

from __future__ import annotations

import pytest

from tests.support.db import audit_entries, events, snapshot, typed
from tests.support.personas import Personas, as_user, new_member
from workchat.actions import channels as ch
from workchat.db.models import Membership
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.events import catalogue as ev
from workchat.services import Services


async def _codes(coro: object) -> ErrorCode:
    with pytest.raises(ActionError) as caught:
        await coro  # type: ignore[misc]
    return caught.value.code


async def test_create_channel(services: Services, personas: Personas) -> None:
    channel = await ch.create_channel(
        services,
        as_user(personas.bob),
        name="  #Design  ",
        description=" pixels ",
    )
    assert (channel.name, channel.name_key, channel.description) == ("Design", "design", "pixels")
    assert channel.created_by == personas.bob.id
    async with services.db.read_session() as session:
        assert await session.get(Membership, (channel.id, personas.bob.id)) is not None
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert (entry.action, entry.target_id, entry.actor_id) == (
        "channel.create",
        str(channel.id),
        personas.bob.id,
    )
    org, bob = personas.bob.org_id, personas.bob.id
    assert [typed(e) for e in await events(services, org)][-3:] == [
        ev.MemberJoined(org_id=org, channel_id=channel.id, user_id=bob),
        ev.MembershipChanged(
            org_id=org, user_id=bob, channel_id=channel.id, kind=ev.MembershipKind.JOINED
        ),
        ev.ChannelCreated(org_id=org, channel_id=channel.id),
    ]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("DESIGN", ErrorCode.NAME_TAKEN),
        ("", ErrorCode.INVALID_INPUT),
        ("#", ErrorCode.INVALID_INPUT),
        ("x" * 81, ErrorCode.INVALID_INPUT),
        # Look-alikes of #design (Unicode TR39 skeletons, case-folded).
        ("d\u0435sign", ErrorCode.NAME_CONFUSABLE),  # Cyrillic ie for "e"
        ("generaI", ErrorCode.NAME_CONFUSABLE),  # #general, capital I for "l"
        ("genera1", ErrorCode.NAME_CONFUSABLE),  # #general, digit one for "l"
        ("\uff44\uff45\uff53\uff49\uff47\uff4e", ErrorCode.NAME_CONFUSABLE),  # fullwidth
        ("Gener\u0430l", ErrorCode.NAME_CONFUSABLE),  # #general, Cyrillic a
        # The text rule, also when an action is called without GraphQL (CLI).
        ("de\u200bsign", ErrorCode.INVALID_INPUT),
        ("a\x00b", ErrorCode.INVALID_INPUT),
        ("two\nlines", ErrorCode.INVALID_INPUT),
    ],
)
async def test_create_channel_failures_change_nothing(
    services: Services, personas: Personas, name: str, code: ErrorCode
) -> None:
    await ch.create_channel(services, as_user(personas.alice), name="design")
    before = await snapshot(services)
    assert await _codes(ch.create_channel(services, as_user(personas.bob), name=name)) is code
    assert await snapshot(services) == before


async def test_names_that_only_resemble_are_allowed(services: Services, personas: Personas) -> None:
    """Different letters are different names: the look-alike rule is no wider than TR39."""
    alice = as_user(personas.alice)
    await ch.create_channel(services, alice, name="design")
    for name in ("designs", "désign", "resign", "デザイン"):
        assert (await ch.create_channel(services, alice, name=name)).name == name


async def test_rename_to_a_lookalike_is_refused_and_changes_nothing(
    services: Services, personas: Personas
) -> None:
    alice = as_user(personas.alice)
    ops = await ch.create_channel(services, alice, name="ops")
    await ch.create_channel(services, alice, name="paypal")
    before = await snapshot(services)
    code = await _codes(ch.update_channel(services, alice, ops.id, name="p\u0430yp\u0430l"))
    assert code is ErrorCode.NAME_CONFUSABLE
    assert await snapshot(services) == before
    # Its own look-alike is not a conflict: a channel may be renamed to a variant of itself.
    renamed = await ch.update_channel(services, alice, ops.id, name="0ps")
    assert renamed.name == "0ps"


async def test_lookalikes_in_another_org_do_not_count(
    services: Services, personas: Personas
) -> None:
    await ch.create_channel(services, as_user(personas.alice), name="design")
    other = await ch.create_channel(services, as_user(personas.eve), name="d\u0435sign")
    assert other.org_id == personas.eve.org_id


async def test_names_are_unique_per_org_only(services: Services, personas: Personas) -> None:
    await ch.create_channel(services, as_user(personas.alice), name="random")
    other = await ch.create_channel(services, as_user(personas.eve), name="Random")
    assert other.org_id == personas.eve.org_id


async def test_update_channel(services: Services, personas: Personas) -> None:
    channel = await ch.create_channel(services, as_user(personas.bob), name="ops")
    updated = await ch.update_channel(
        services,
        as_user(personas.bob),
        channel.id,
        name="Ops Team",
        description="on call",
    )
    assert (updated.name, updated.description) == ("Ops Team", "on call")
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert entry.action == "channel.update"
    assert entry.diff["before"] == {"name": "ops", "description": ""}
    assert entry.diff["after"] == {"name": "Ops Team", "description": "on call"}
    event = (await events(services, personas.bob.org_id))[-1]
    assert typed(event) == ev.ChannelUpdated(
        org_id=personas.bob.org_id, channel_id=channel.id, changes=("description", "name")
    )
    # admins may too; once private, a non-member admin no longer sees it
    await ch.update_channel(services, as_user(personas.alice), channel.id, is_private=True)
    before = await snapshot(services)
    assert (
        await _codes(
            ch.update_channel(services, as_user(personas.alice), channel.id, description="x")
        )
        is ErrorCode.NOT_FOUND
    )
    await ch.update_channel(services, as_user(personas.bob), channel.id, is_private=True)
    assert await snapshot(services) == before  # nothing changed, nothing written


async def test_update_channel_refusals(services: Services, personas: Personas) -> None:
    mine = await ch.create_channel(services, as_user(personas.alice), name="alices")
    await ch.create_channel(services, as_user(personas.alice), name="taken")
    before = await snapshot(services)
    with pytest.raises(Forbidden):
        await ch.update_channel(services, as_user(personas.bob), mine.id, name="bobs")
    assert (
        await _codes(ch.update_channel(services, as_user(personas.alice), mine.id, name="TAKEN"))
        is ErrorCode.NAME_TAKEN
    )
    assert (
        await _codes(ch.update_channel(services, as_user(personas.eve), mine.id, name="evil"))
        is ErrorCode.NOT_FOUND
    )
    assert await snapshot(services) == before


async def test_archive_makes_a_channel_read_only(services: Services, personas: Personas) -> None:
    channel = await ch.create_channel(services, as_user(personas.bob), name="old")
    carol = await new_member(services, personas.bob.org_id, "carol")
    with pytest.raises(Forbidden):
        await ch.archive_channel(services, carol, channel.id)
    archived = await ch.archive_channel(services, as_user(personas.bob), channel.id)
    assert archived.archived_at is not None
    assert (await audit_entries(services, personas.bob.org_id))[-1].action == "channel.archive"
    event = (await events(services, personas.bob.org_id))[-1]
    assert (event.type, event.channel_id, event.user_id) == ("channel.archived", channel.id, None)
    assert typed(event) == ev.ChannelArchived(org_id=personas.bob.org_id, channel_id=channel.id)
    before = await snapshot(services)
    again = await ch.archive_channel(services, as_user(personas.alice), channel.id)
    assert again.archived_at == archived.archived_at
    assert (
        await _codes(
            ch.update_channel(services, as_user(personas.bob), channel.id, description="x")
        )
        is ErrorCode.CHANNEL_ARCHIVED
    )
    assert await _codes(ch.join_channel(services, as_user(personas.alice), channel.id)) is (
        ErrorCode.CHANNEL_ARCHIVED
    )
    assert await snapshot(services) == before


async def test_join_and_leave_are_idempotent(services: Services, personas: Personas) -> None:
    channel = await ch.create_channel(services, as_user(personas.alice), name="lunch")
    await ch.join_channel(services, as_user(personas.bob), channel.id)
    assert (await audit_entries(services, personas.bob.org_id))[-1].action == "channel.join"
    before = await snapshot(services)
    await ch.join_channel(services, as_user(personas.bob), channel.id)
    assert await snapshot(services) == before
    await ch.leave_channel(services, as_user(personas.bob), channel.id)
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert entry.action == "channel.leave"
    org, bob = personas.bob.org_id, personas.bob.id
    assert [typed(e) for e in await events(services, org)][-2:] == [
        ev.MemberLeft(org_id=org, channel_id=channel.id, user_id=bob),
        ev.MembershipChanged(
            org_id=org, user_id=bob, channel_id=channel.id, kind=ev.MembershipKind.LEFT
        ),
    ]
    before = await snapshot(services)
    await ch.leave_channel(services, as_user(personas.bob), channel.id)
    assert await snapshot(services) == before


async def test_private_channels_are_invisible_to_non_members(
    services: Services, personas: Personas
) -> None:
    secret = await ch.create_channel(
        services, as_user(personas.alice), name="secret", is_private=True
    )
    before = await snapshot(services)
    for viewer in (as_user(personas.bob), as_user(personas.eve)):
        assert await _codes(ch.join_channel(services, viewer, secret.id)) is ErrorCode.NOT_FOUND
        assert await _codes(ch.leave_channel(services, viewer, secret.id)) is ErrorCode.NOT_FOUND
    assert await snapshot(services) == before
    async with services.db.read_session() as session:
        names = [
            c.name
            for c in (
                await ch.list_channels(
                    session,
                    as_user(personas.bob),
                    limit=50,
                    after=None,
                    filter=ch.ChannelFilter(include_archived=True),
                )
            )[0]
        ]
    assert "secret" not in names


async def test_invite_brings_a_member_into_a_private_channel(
    services: Services, personas: Personas
) -> None:
    secret = await ch.create_channel(
        services, as_user(personas.alice), name="secret", is_private=True
    )
    await ch.invite_to_channel(services, as_user(personas.alice), secret.id, personas.bob.id)
    entry = (await audit_entries(services, personas.alice.org_id))[-1]
    assert (entry.action, entry.diff["after"]) == (
        "channel.invite",
        {"user_id": str(personas.bob.id)},
    )
    org, bob = personas.alice.org_id, personas.bob.id
    assert [typed(e) for e in await events(services, org)][-2:] == [
        ev.MemberJoined(org_id=org, channel_id=secret.id, user_id=bob),
        ev.MembershipChanged(
            org_id=org, user_id=bob, channel_id=secret.id, kind=ev.MembershipKind.INVITED
        ),
    ]
    async with services.db.read_session() as session:
        assert await session.get(Membership, (secret.id, personas.bob.id)) is not None
    before = await snapshot(services)
    await ch.invite_to_channel(services, as_user(personas.bob), secret.id, personas.bob.id)
    assert await snapshot(services) == before  # already in: no-op
    # another org's user is just not found; non-members cannot invite
    assert (
        await _codes(
            ch.invite_to_channel(services, as_user(personas.alice), secret.id, personas.eve.id)
        )
        is ErrorCode.NOT_FOUND
    )
    public = await ch.create_channel(services, as_user(personas.alice), name="public")
    before = await snapshot(services)
    assert (
        await _codes(
            ch.invite_to_channel(services, as_user(personas.bob), public.id, personas.alice.id)
        )
        is ErrorCode.NOT_A_MEMBER
    )
    assert await snapshot(services) == before


async def test_list_channels_filters_and_pages(services: Services, personas: Personas) -> None:
    for name in ("alpha", "beta", "gamma", "delta"):
        await ch.create_channel(services, as_user(personas.alice), name=name)
    await ch.join_channel(
        services, as_user(personas.bob), (await _by_name(services, personas, "beta")).id
    )
    old = await _by_name(services, personas, "delta")
    await ch.archive_channel(services, as_user(personas.alice), old.id)
    bob = as_user(personas.bob)
    async with services.db.read_session() as session:

        async def names(**kwargs: object) -> list[str]:
            rows, _ = await ch.list_channels(
                session,
                bob,
                limit=50,
                after=None,
                filter=ch.ChannelFilter(**kwargs),  # type: ignore[arg-type]
            )
            return [row.name for row in rows]

        assert "delta" not in await names()
        assert "delta" in await names(include_archived=True)
        assert "beta" in await names(joined=True)
        assert "beta" not in await names(joined=False)
        assert await names(name_contains="MM") == ["gamma"]
        first, more = await ch.list_channels(
            session, bob, limit=2, after=None, filter=ch.ChannelFilter()
        )
        assert more
        rest, _ = await ch.list_channels(
            session,
            bob,
            limit=50,
            after=(first[-1].name_key, first[-1].id),
            filter=ch.ChannelFilter(),
        )
        assert [c.name for c in first + rest] == await names()


async def _by_name(services: Services, personas: Personas, name: str):  # type: ignore[no-untyped-def]
    async with services.db.read_session() as session:
        rows, _ = await ch.list_channels(
            session,
            as_user(personas.alice),
            limit=50,
            after=None,
            filter=ch.ChannelFilter(name_contains=name, include_archived=True),
        )
    return rows[0]
