"""Channel mutations over GraphQL: payloads, UserError codes and fields, top-level FORBIDDEN,
and exactly one audit entry plus the expected events for every success
(docs/adr/0005-api-contract.md, docs/adr/0006-audit-trail.md)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.chat import general, make_channel, post
from tests.support.db import assert_logged, count_rows, mark, snapshot
from tests.support.graphql_client import GraphQLClient, gid
from tests.support.operations import (
    ARCHIVE_CHANNEL,
    CREATE_CHANNEL,
    INVITE_TO_CHANNEL,
    JOIN_CHANNEL,
    LEAVE_CHANNEL,
    MARK_CHANNEL_READ,
    POST_MESSAGE,
    UPDATE_CHANNEL,
    cid,
    error_codes,
    login_all,
    mid,
    query_data,
    run,
    top_codes,
)
from tests.support.personas import Personas, another_member, as_user
from workchat.actions import channels as ch
from workchat.actions.users import deactivate_user
from workchat.db.models import Channel, Membership
from workchat.graphql.ids import from_global_id
from workchat.services import Services

CHANNEL_VIEW = """query($id: ID!) {
    channel(id: $id) { id name viewerIsMember memberCount unreadCount }
}"""


@pytest.fixture(autouse=True)
async def _logged_in(gql: GraphQLClient, personas: Personas) -> None:
    await login_all(gql, personas.alice, personas.bob, personas.eve)


def db_id(global_id: str) -> uuid.UUID:
    decoded = from_global_id(global_id)
    assert decoded is not None
    return decoded[1]


# --- createChannel ---------------------------------------------------------------------------


async def test_create_channel_returns_the_joined_channel(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """The creator gets the cleaned channel back, is its only member, and the call writes one
    channel.create entry and member.joined, membership.changed, channel.created events."""
    since = await mark(services, personas.bob.org_id)
    payload = await run(
        gql,
        CREATE_CHANNEL,
        {"name": "  #Design ", "description": " pixels ", "clientMutationId": "c-1"},
        personas.bob,
    )
    assert payload["errors"] == [] and payload["clientMutationId"] == "c-1"
    channel = payload["channel"]
    assert {k: v for k, v in channel.items() if k not in ("id", "createdAt")} == {
        "name": "Design",
        "description": "pixels",
        "isPrivate": False,
        "isSystem": False,
        "isArchived": False,
        "archivedAt": None,
        "memberCount": 1,
        "viewerIsMember": True,
        "unreadCount": 0,
        "mentionCount": 0,
        "createdBy": {"id": gid("User", personas.bob.id), "displayName": "Bob"},
    }
    channel_id = db_id(channel["id"])
    assert await count_rows(services, Membership, channel_id=channel_id) == 1
    await assert_logged(
        services,
        since,
        action="channel.create",
        operation="createChannel",
        actor=personas.bob,
        target_id=channel_id,
        events_=[
            ("member.joined", channel_id, None),
            ("membership.changed", None, personas.bob.id),
            ("channel.created", channel_id, None),
        ],
    )


async def test_create_private_channel_is_hidden_from_non_members(
    gql: GraphQLClient, personas: Personas
) -> None:
    """A private channel is visible to its creator only; even an admin outside it gets null."""
    payload = await run(gql, CREATE_CHANNEL, {"name": "secret", "isPrivate": True}, personas.bob)
    assert payload["channel"]["isPrivate"] is True
    seen = await query_data(gql, CHANNEL_VIEW, personas.alice, id=payload["channel"]["id"])
    assert seen == {"channel": None}
    mine = await query_data(gql, CHANNEL_VIEW, personas.bob, id=payload["channel"]["id"])
    assert mine["channel"]["name"] == "secret"


@pytest.mark.parametrize(
    ("existing", "name"),
    [
        ("Design", "design"),
        ("Design", "DESIGN"),
        ("Design", "#Design"),
        ("Design", "  dEsIgN  "),
        ("Équipe", "ÉQUIPE"),
        ("Straße", "STRASSE"),
    ],
)
async def test_create_channel_name_taken_is_case_insensitive(
    gql: GraphQLClient, services: Services, personas: Personas, existing: str, name: str
) -> None:
    """Another channel's name in any case (Unicode case folding), with or without '#', is
    NAME_TAKEN on `name` and writes nothing."""
    await make_channel(services, personas.alice, existing)
    before = await snapshot(services)
    payload = await run(
        gql, CREATE_CHANNEL, {"name": name, "clientMutationId": "c-2"}, personas.bob
    )
    assert error_codes(payload) == [("NAME_TAKEN", "name")]
    assert (payload["channel"], payload["clientMutationId"]) == (None, "c-2")
    assert await snapshot(services) == before


@pytest.mark.parametrize(
    ("name", "description", "field"),
    [
        ("", "", "name"),
        ("   ", "", "name"),
        ("#", "", "name"),
        ("x" * 81, "", "name"),
        # Control characters are refused before the mutation runs, as a top-level
        # INVALID_INPUT naming the field: tests/graphql/test_input_rule.py.
        ("fine", "d" * 1001, "description"),
    ],
)
async def test_create_channel_invalid_input_writes_nothing(
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    name: str,
    description: str,
    field: str,
) -> None:
    """Empty or over-long (81) names and over-long descriptions are
    INVALID_INPUT naming the field; nothing is written."""
    before = await snapshot(services)
    payload = await run(
        gql, CREATE_CHANNEL, {"name": name, "description": description}, personas.bob
    )
    assert error_codes(payload) == [("INVALID_INPUT", field)]
    assert payload["channel"] is None
    assert await snapshot(services) == before


async def test_create_channel_accepts_80_characters(gql: GraphQLClient, personas: Personas) -> None:
    """80 characters is the longest name allowed."""
    payload = await run(gql, CREATE_CHANNEL, {"name": "n" * 80}, personas.bob)
    assert payload["errors"] == [] and payload["channel"]["name"] == "n" * 80


async def test_same_name_in_another_org_is_free(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Names are unique per org: Eve may create 'design' although Acme has one (and learns
    nothing about Acme)."""
    await make_channel(services, personas.alice, "design")
    payload = await run(gql, CREATE_CHANNEL, {"name": "design"}, personas.eve)
    assert payload["errors"] == [] and payload["channel"]["memberCount"] == 1


# --- updateChannel ---------------------------------------------------------------------------


async def test_update_channel_by_creator(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """The creator renames and describes; one channel.update entry and one channel.updated
    event are written."""
    channel = await make_channel(services, personas.bob, "ops")
    since = await mark(services, personas.bob.org_id)
    payload = await run(
        gql,
        UPDATE_CHANNEL,
        {
            "channelId": cid(channel),
            "name": "Ops Team",
            "description": "on call",
            "clientMutationId": "u-1",
        },
        personas.bob,
    )
    assert payload["errors"] == [] and payload["clientMutationId"] == "u-1"
    assert (payload["channel"]["name"], payload["channel"]["description"]) == (
        "Ops Team",
        "on call",
    )
    await assert_logged(
        services,
        since,
        action="channel.update",
        operation="updateChannel",
        actor=personas.bob,
        target_id=channel.id,
        events_=[("channel.updated", channel.id, None)],
    )


async def test_update_channel_by_admin_and_own_name_in_other_case(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """An admin may update anyone's channel; renaming to the same name in another case is
    not NAME_TAKEN; an update that changes nothing writes nothing."""
    channel = await make_channel(services, personas.bob, "ops")
    payload = await run(
        gql, UPDATE_CHANNEL, {"channelId": cid(channel), "name": "OPS"}, personas.alice
    )
    assert payload["errors"] == [] and payload["channel"]["name"] == "OPS"
    before = await snapshot(services)
    payload = await run(
        gql, UPDATE_CHANNEL, {"channelId": cid(channel), "name": "OPS"}, personas.alice
    )
    assert payload["errors"] == [] and payload["channel"]["name"] == "OPS"
    assert await snapshot(services) == before


async def test_update_channel_privacy(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Making a channel private hides it from a non-member who could see it before."""
    channel = await make_channel(services, personas.bob, "ops")
    assert (await query_data(gql, CHANNEL_VIEW, personas.alice, id=cid(channel)))["channel"]
    payload = await run(
        gql, UPDATE_CHANNEL, {"channelId": cid(channel), "isPrivate": True}, personas.bob
    )
    assert payload["errors"] == [] and payload["channel"]["isPrivate"] is True
    assert await query_data(gql, CHANNEL_VIEW, personas.alice, id=cid(channel)) == {"channel": None}


async def test_update_channel_by_another_member_is_forbidden(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A member who neither created the channel nor is an admin gets a top-level FORBIDDEN
    (even when a member of it) and nothing changes."""
    channel = await make_channel(services, personas.alice, "alices", members=(personas.bob,))
    before = await snapshot(services)
    result = await gql.execute(
        UPDATE_CHANNEL,
        {"input": {"channelId": cid(channel), "name": "bobs"}},
        as_=personas.bob,
    )
    assert top_codes(result) == ["FORBIDDEN"]
    assert result["data"] is None
    assert await snapshot(services) == before
    async with services.db.read_session() as session:
        stored = await session.get(Channel, channel.id)
    assert stored is not None and stored.name == "alices"


async def test_update_channel_name_taken(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Renaming onto another channel's name (any case) is NAME_TAKEN and writes nothing."""
    channel = await make_channel(services, personas.alice, "mine")
    await make_channel(services, personas.alice, "Taken")
    before = await snapshot(services)
    payload = await run(
        gql, UPDATE_CHANNEL, {"channelId": cid(channel), "name": "TAKEN"}, personas.alice
    )
    assert error_codes(payload) == [("NAME_TAKEN", "name")]
    assert payload["channel"] is None
    assert await snapshot(services) == before


@pytest.mark.parametrize(("name", "field"), [("", "name"), ("x" * 81, "name"), ("#", "name")])
async def test_update_channel_invalid_name(
    gql: GraphQLClient, services: Services, personas: Personas, name: str, field: str
) -> None:
    """An invalid new name is INVALID_INPUT on `name`; nothing is written."""
    channel = await make_channel(services, personas.alice, "mine")
    before = await snapshot(services)
    payload = await run(
        gql, UPDATE_CHANNEL, {"channelId": cid(channel), "name": name}, personas.alice
    )
    assert error_codes(payload) == [("INVALID_INPUT", field)]
    assert await snapshot(services) == before


async def test_general_cannot_be_renamed_or_made_private(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """#general: renaming or making it private is SYSTEM_CHANNEL, a member gets FORBIDDEN,
    but an admin may change its description."""
    channel = await general(services, personas.alice)
    before = await snapshot(services)
    for change in ({"name": "everyone"}, {"isPrivate": True}, {"name": "general"}):
        payload = await run(
            gql, UPDATE_CHANNEL, {"channelId": cid(channel), **change}, personas.alice
        )
        assert error_codes(payload) == [("SYSTEM_CHANNEL", None)], change
        assert payload["channel"] is None
    result = await gql.execute(
        UPDATE_CHANNEL,
        {"input": {"channelId": cid(channel), "description": "x"}},
        as_=personas.bob,
    )
    assert top_codes(result) == ["FORBIDDEN"]
    assert await snapshot(services) == before
    payload = await run(
        gql,
        UPDATE_CHANNEL,
        {"channelId": cid(channel), "description": "All hands", "isPrivate": False},
        personas.alice,
    )
    assert payload["errors"] == []
    assert (payload["channel"]["description"], payload["channel"]["isSystem"]) == (
        "All hands",
        True,
    )


async def test_update_archived_channel(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """An archived channel is read-only: updating it is CHANNEL_ARCHIVED, nothing written."""
    channel = await make_channel(services, personas.alice, "old")
    await ch.archive_channel(services, as_user(personas.alice), channel.id)
    before = await snapshot(services)
    payload = await run(
        gql, UPDATE_CHANNEL, {"channelId": cid(channel), "description": "x"}, personas.alice
    )
    assert error_codes(payload) == [("CHANNEL_ARCHIVED", None)]
    assert await snapshot(services) == before


# --- archiveChannel --------------------------------------------------------------------------


async def test_archive_channel(gql: GraphQLClient, services: Services, personas: Personas) -> None:
    """Archiving returns the archived channel and writes one channel.archive entry and a
    channel.archived event; afterwards posting is CHANNEL_ARCHIVED; archiving again is a
    no-op."""
    channel = await make_channel(services, personas.bob, "old", members=(personas.alice,))
    since = await mark(services, personas.bob.org_id)
    payload = await run(
        gql, ARCHIVE_CHANNEL, {"channelId": cid(channel), "clientMutationId": "a-1"}, personas.bob
    )
    assert payload["errors"] == [] and payload["clientMutationId"] == "a-1"
    assert payload["channel"]["isArchived"] is True
    assert payload["channel"]["archivedAt"] is not None
    await assert_logged(
        services,
        since,
        action="channel.archive",
        operation="archiveChannel",
        actor=personas.bob,
        target_id=channel.id,
        events_=[("channel.archived", channel.id, None)],
    )
    before = await snapshot(services)
    posted = await run(
        gql, POST_MESSAGE, {"channelId": cid(channel), "body": "hello?"}, personas.alice
    )
    assert error_codes(posted) == [("CHANNEL_ARCHIVED", None)]
    assert posted["message"] is None
    again = await run(gql, ARCHIVE_CHANNEL, {"channelId": cid(channel)}, personas.alice)
    assert again["errors"] == []
    assert again["channel"]["archivedAt"] == payload["channel"]["archivedAt"]
    assert await snapshot(services) == before


async def test_archive_refusals(gql: GraphQLClient, services: Services, personas: Personas) -> None:
    """#general cannot be archived (SYSTEM_CHANNEL); a non-creator member is FORBIDDEN."""
    channel = await make_channel(services, personas.alice, "alices", members=(personas.bob,))
    before = await snapshot(services)
    payload = await run(
        gql,
        ARCHIVE_CHANNEL,
        {"channelId": cid(await general(services, personas.alice))},
        personas.alice,
    )
    assert error_codes(payload) == [("SYSTEM_CHANNEL", None)]
    result = await gql.execute(
        ARCHIVE_CHANNEL, {"input": {"channelId": cid(channel)}}, as_=personas.bob
    )
    assert top_codes(result) == ["FORBIDDEN"] and result["data"] is None
    assert await snapshot(services) == before


# --- joinChannel / leaveChannel --------------------------------------------------------------


async def test_join_and_leave_are_idempotent(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Join then leave: each writes one entry and its events; repeating either writes
    nothing and still succeeds."""
    channel = await make_channel(services, personas.alice, "lunch")
    since = await mark(services, personas.bob.org_id)
    joined = await run(
        gql, JOIN_CHANNEL, {"channelId": cid(channel), "clientMutationId": "j-1"}, personas.bob
    )
    assert joined["errors"] == [] and joined["clientMutationId"] == "j-1"
    assert (joined["channel"]["viewerIsMember"], joined["channel"]["memberCount"]) == (True, 2)
    await assert_logged(
        services,
        since,
        action="channel.join",
        operation="joinChannel",
        actor=personas.bob,
        target_id=channel.id,
        events_=[
            ("member.joined", channel.id, None),
            ("membership.changed", None, personas.bob.id),
        ],
    )
    before = await snapshot(services)
    again = await run(gql, JOIN_CHANNEL, {"channelId": cid(channel)}, personas.bob)
    assert again["errors"] == [] and again["channel"]["memberCount"] == 2
    assert await snapshot(services) == before

    since = await mark(services, personas.bob.org_id)
    left = await run(
        gql, LEAVE_CHANNEL, {"channelId": cid(channel), "clientMutationId": "l-1"}, personas.bob
    )
    assert left["errors"] == [] and left["clientMutationId"] == "l-1"
    assert (left["channel"]["viewerIsMember"], left["channel"]["memberCount"]) == (False, 1)
    await assert_logged(
        services,
        since,
        action="channel.leave",
        operation="leaveChannel",
        actor=personas.bob,
        target_id=channel.id,
        events_=[
            ("member.left", channel.id, None),
            ("membership.changed", None, personas.bob.id),
        ],
    )
    before = await snapshot(services)
    again = await run(gql, LEAVE_CHANNEL, {"channelId": cid(channel)}, personas.bob)
    assert again["errors"] == [] and again["channel"]["viewerIsMember"] is False
    assert await snapshot(services) == before


async def test_join_refusals(gql: GraphQLClient, services: Services, personas: Personas) -> None:
    """Joining a private channel uninvited is NOT_FOUND; joining an archived one is
    CHANNEL_ARCHIVED; neither writes anything."""
    secret = await make_channel(services, personas.alice, "secret", private=True)
    old = await make_channel(services, personas.alice, "old")
    await ch.archive_channel(services, as_user(personas.alice), old.id)
    before = await snapshot(services)
    payload = await run(gql, JOIN_CHANNEL, {"channelId": cid(secret)}, personas.bob)
    assert error_codes(payload) == [("NOT_FOUND", "channelId")]
    payload = await run(gql, JOIN_CHANNEL, {"channelId": cid(old)}, personas.bob)
    assert error_codes(payload) == [("CHANNEL_ARCHIVED", None)]
    assert await snapshot(services) == before


async def test_nobody_leaves_general(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Leaving #general is SYSTEM_CHANNEL for members and admins alike; nothing written."""
    channel = await general(services, personas.alice)
    before = await snapshot(services)
    for persona in (personas.bob, personas.alice):
        payload = await run(gql, LEAVE_CHANNEL, {"channelId": cid(channel)}, persona)
        assert error_codes(payload) == [("SYSTEM_CHANNEL", None)]
        assert payload["channel"] is None
    assert await snapshot(services) == before


async def test_leaving_a_private_channel_hides_it(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """After leaving a private channel the former member can no longer see it."""
    secret = await make_channel(
        services, personas.alice, "secret", private=True, members=(personas.bob,)
    )
    payload = await run(gql, LEAVE_CHANNEL, {"channelId": cid(secret)}, personas.bob)
    assert payload["errors"] == [] and payload["channel"]["viewerIsMember"] is False
    assert await query_data(gql, CHANNEL_VIEW, personas.bob, id=cid(secret)) == {"channel": None}


# --- inviteToChannel -------------------------------------------------------------------------


async def test_invite_into_a_private_channel(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A member invites Bob into a private channel: one channel.invite entry, member.joined
    and membership.changed (for Bob) events; Bob then sees the channel; inviting again is a
    no-op."""
    secret = await make_channel(services, personas.alice, "secret", private=True)
    assert await query_data(gql, CHANNEL_VIEW, personas.bob, id=cid(secret)) == {"channel": None}
    since = await mark(services, personas.alice.org_id)
    payload = await run(
        gql,
        INVITE_TO_CHANNEL,
        {"channelId": cid(secret), "userId": gid("User", personas.bob.id), "clientMutationId": "i"},
        personas.alice,
    )
    assert payload["errors"] == [] and payload["clientMutationId"] == "i"
    assert payload["channel"]["memberCount"] == 2
    await assert_logged(
        services,
        since,
        action="channel.invite",
        operation="inviteToChannel",
        actor=personas.alice,
        target_id=secret.id,
        events_=[
            ("member.joined", secret.id, None),
            ("membership.changed", None, personas.bob.id),
        ],
    )
    seen = await query_data(gql, CHANNEL_VIEW, personas.bob, id=cid(secret))
    assert seen["channel"]["name"] == "secret" and seen["channel"]["viewerIsMember"] is True
    before = await snapshot(services)
    again = await run(
        gql,
        INVITE_TO_CHANNEL,
        {"channelId": cid(secret), "userId": gid("User", personas.alice.id)},
        personas.bob,
    )
    assert again["errors"] == [] and again["channel"]["memberCount"] == 2
    assert await snapshot(services) == before


async def test_invite_refusals(gql: GraphQLClient, services: Services, personas: Personas) -> None:
    """Non-members cannot invite (NOT_FOUND for a private channel, NOT_A_MEMBER for a public
    one); another org's user, a garbage user ID, a deactivated user and an archived channel
    are refused with the right field; nothing is written."""
    secret = await make_channel(services, personas.alice, "secret", private=True)
    public = await make_channel(services, personas.alice, "public")
    old = await make_channel(services, personas.alice, "old")
    await ch.archive_channel(services, as_user(personas.alice), old.id)
    carol = await another_member(services, personas, "carol")
    dave = await another_member(services, personas, "dave")
    await deactivate_user(services, as_user(personas.alice), dave.id)
    await login_all(gql, carol)
    before = await snapshot(services)
    cases: list[tuple[Any, str, str, tuple[str, str | None]]] = [
        (personas.bob, cid(secret), gid("User", carol.id), ("NOT_FOUND", "channelId")),
        (personas.bob, cid(public), gid("User", carol.id), ("NOT_A_MEMBER", "channelId")),
        (personas.alice, cid(secret), gid("User", personas.eve.id), ("NOT_FOUND", "userId")),
        (personas.alice, cid(secret), "garbage", ("NOT_FOUND", "userId")),
        (personas.alice, cid(secret), gid("Channel", secret.id), ("NOT_FOUND", "userId")),
        (personas.alice, cid(secret), gid("User", uuid.uuid4()), ("NOT_FOUND", "userId")),
        (personas.alice, cid(secret), gid("User", dave.id), ("INVALID_INPUT", "userId")),
        (personas.alice, cid(old), gid("User", carol.id), ("CHANNEL_ARCHIVED", None)),
        (personas.eve, cid(public), gid("User", personas.eve.id), ("NOT_FOUND", "channelId")),
    ]
    for persona, channel_id, user_id, expected in cases:
        payload = await run(
            gql, INVITE_TO_CHANNEL, {"channelId": channel_id, "userId": user_id}, persona
        )
        assert error_codes(payload) == [expected], (persona.name, expected)
        assert payload["channel"] is None
    assert await snapshot(services) == before


# --- markChannelRead -------------------------------------------------------------------------


async def test_mark_channel_read_moves_forward_only(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Marking read lowers unreadCount and writes one read.mark entry and an unread.changed
    event for the reader; marking an earlier message changes nothing."""
    channel = await make_channel(services, personas.alice, "news", members=(personas.bob,))
    posted = [await post(services, personas.alice, channel, f"m{i}") for i in range(3)]
    view = await query_data(gql, CHANNEL_VIEW, personas.bob, id=cid(channel))
    assert view["channel"]["unreadCount"] == 3
    since = await mark(services, personas.bob.org_id)
    payload = await run(
        gql,
        MARK_CHANNEL_READ,
        {"channelId": cid(channel), "upToMessageId": mid(posted[1]), "clientMutationId": "r"},
        personas.bob,
    )
    assert payload["errors"] == [] and payload["clientMutationId"] == "r"
    assert payload["channel"]["unreadCount"] == 1
    await assert_logged(
        services,
        since,
        action="read.mark",
        operation="markChannelRead",
        actor=personas.bob,
        target_id=channel.id,
        events_=[("unread.changed", None, personas.bob.id)],
    )
    before = await snapshot(services)
    for message in (posted[0], posted[1]):
        back = await run(
            gql,
            MARK_CHANNEL_READ,
            {"channelId": cid(channel), "upToMessageId": mid(message)},
            personas.bob,
        )
        assert back["errors"] == [] and back["channel"]["unreadCount"] == 1
    assert await snapshot(services) == before
    done = await run(
        gql,
        MARK_CHANNEL_READ,
        {"channelId": cid(channel), "upToMessageId": mid(posted[2])},
        personas.bob,
    )
    assert done["channel"]["unreadCount"] == 0


async def test_mark_channel_read_refusals(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Non-members get NOT_A_MEMBER; a message of another channel or a missing/garbage one is
    NOT_FOUND on upToMessageId; another org's channel is NOT_FOUND; nothing is written."""
    channel = await make_channel(services, personas.alice, "news")
    other = await make_channel(services, personas.alice, "other")
    message = await post(services, personas.alice, channel, "x")
    elsewhere = await post(services, personas.alice, other, "y")
    before = await snapshot(services)
    cases = [
        (personas.bob, cid(channel), mid(message), ("NOT_A_MEMBER", "channelId")),
        (personas.alice, cid(channel), mid(elsewhere), ("NOT_FOUND", "upToMessageId")),
        (personas.alice, cid(channel), mid(uuid.uuid4()), ("NOT_FOUND", "upToMessageId")),
        (personas.alice, cid(channel), "garbage", ("NOT_FOUND", "upToMessageId")),
        (personas.alice, cid(channel), cid(channel), ("NOT_FOUND", "upToMessageId")),
        (personas.eve, cid(channel), mid(message), ("NOT_FOUND", "channelId")),
    ]
    for persona, channel_id, message_id, expected in cases:
        payload = await run(
            gql,
            MARK_CHANNEL_READ,
            {"channelId": channel_id, "upToMessageId": message_id},
            persona,
        )
        assert error_codes(payload) == [expected], expected
        assert payload["channel"] is None
    assert await snapshot(services) == before


# --- malformed IDs ---------------------------------------------------------------------------

BAD_CHANNEL_IDS = [
    "garbage",
    "",
    "!!!",
    gid("Channel", uuid.UUID(int=0)),
    gid("User", uuid.UUID(int=1)),
]


@pytest.mark.parametrize(
    ("query", "extra"),
    [
        (UPDATE_CHANNEL, {"description": "x"}),
        (ARCHIVE_CHANNEL, {}),
        (JOIN_CHANNEL, {}),
        (LEAVE_CHANNEL, {}),
        (INVITE_TO_CHANNEL, {"userId": "USER"}),
        (MARK_CHANNEL_READ, {"upToMessageId": "MESSAGE"}),
        (POST_MESSAGE, {"body": "hi"}),
    ],
    ids=["update", "archive", "join", "leave", "invite", "markRead", "post"],
)
async def test_malformed_channel_ids_are_not_found(
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    query: str,
    extra: dict[str, str],
) -> None:
    """A garbage, empty, wrong-typed or unknown channel ID is NOT_FOUND on channelId (never a
    top-level error) and writes nothing."""
    channel = await make_channel(services, personas.alice, "real")
    message = await post(services, personas.alice, channel, "x")
    fill = {"USER": gid("User", personas.bob.id), "MESSAGE": mid(message)}
    before = await snapshot(services)
    for bad_id in [*BAD_CHANNEL_IDS, mid(message)]:
        payload = await run(
            gql,
            query,
            {"channelId": bad_id, **{k: fill.get(v, v) for k, v in extra.items()}},
            personas.alice,
        )
        assert error_codes(payload) == [("NOT_FOUND", "channelId")], bad_id
    assert await snapshot(services) == before


async def test_channel_payload_resolves_fields_for_the_viewer(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Payload fields (memberCount, viewerIsMember, createdBy) reflect state after the
    mutation, seen by the caller."""
    channel = await make_channel(services, personas.alice, "team", members=(personas.bob,))
    carol = await another_member(services, personas, "carol")
    await login_all(gql, carol)
    payload = await run(gql, JOIN_CHANNEL, {"channelId": cid(channel)}, carol)
    assert payload["channel"]["memberCount"] == 3
    assert payload["channel"]["createdBy"]["id"] == gid("User", personas.alice.id)
    data: dict[str, Any] = await query_data(gql, CHANNEL_VIEW, personas.bob, id=cid(channel))
    assert data["channel"]["memberCount"] == 3
