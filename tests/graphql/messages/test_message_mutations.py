"""Message and reaction mutations over GraphQL: threads, validation, idempotent retries,
versioned edits with revisions, soft deletes, reactions; one audit entry and the expected
events per success (docs/adr/0005-api-contract.md, docs/adr/0006-audit-trail.md)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.chat import make_channel, post
from tests.support.db import assert_logged, count_rows, mark, snapshot
from tests.support.graphql_client import GraphQLClient, gid
from tests.support.operations import (
    ADD_REACTION,
    DELETE_MESSAGE,
    EDIT_MESSAGE,
    POST_MESSAGE,
    REMOVE_REACTION,
    cid,
    error_codes,
    login_all,
    mid,
    query_data,
    run,
    top_codes,
)
from tests.support.personas import Persona, Personas, another_member, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions import reactions as rx
from workchat.db.models import Channel, Message, MessageRevision, Reaction
from workchat.graphql.ids import from_global_id
from workchat.services import Services

MESSAGE = """query($id: ID!) {
    message(id: $id) {
        id body version seq threadId isReply isDeleted replyCount lastReplyAt createdAt
        editedAt deletedAt
        author { id }
        revisions { version body editedAt editedBy { id displayName } }
        reactions { emoji count viewerHasReacted users { id displayName } }
        replies { edges { node { id body threadId isReply } } }
    }
}"""


@pytest.fixture
async def carol(services: Services, personas: Personas, gql: GraphQLClient) -> Persona:
    """An Acme member who is in no channel but #general."""
    persona = await another_member(services, personas, "carol")
    await login_all(gql, persona)
    return persona


@pytest.fixture
async def room(services: Services, personas: Personas, gql: GraphQLClient) -> Channel:
    """#dev: alice created it, bob joined; everyone is logged in already."""
    await login_all(gql, personas.alice, personas.bob, personas.eve)
    return await make_channel(services, personas.alice, "dev", members=(personas.bob,))


def _db(global_id: str) -> uuid.UUID:
    decoded = from_global_id(global_id)
    assert decoded is not None
    return decoded[1]


async def message_view(gql: GraphQLClient, persona: Persona, message_id: str) -> Any:
    return (await query_data(gql, MESSAGE, persona, id=message_id))["message"]


# --- postMessage -----------------------------------------------------------------------------


async def test_post_root_message(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """A root: trimmed body, version 1, the channel's next seq, threadId == id, not a reply;
    one message.post entry and one message.posted event for the channel."""
    since = await mark(services, personas.bob.org_id)
    payload = await run(
        gql,
        POST_MESSAGE,
        {"channelId": cid(room), "body": "  hello  ", "clientMutationId": "p-1"},
        personas.bob,
    )
    assert payload["errors"] == [] and payload["clientMutationId"] == "p-1"
    message = payload["message"]
    assert {k: message[k] for k in message if k not in ("id", "createdAt")} == {
        "body": "hello",
        "version": 1,
        "seq": 1,
        "threadId": message["id"],
        "isReply": False,
        "isDeleted": False,
        "replyCount": 0,
        "lastReplyAt": None,
        "editedAt": None,
        "deletedAt": None,
        "author": {"id": gid("User", personas.bob.id), "displayName": "Bob"},
        "channel": {"id": cid(room), "name": "dev"},
    }
    message_id = _db(message["id"])
    await assert_logged(
        services,
        since,
        action="message.post",
        operation="postMessage",
        actor=personas.bob,
        target_id=message_id,
        events_=[("message.posted", room.id, None)],
    )
    second = await run(gql, POST_MESSAGE, {"channelId": cid(room), "body": "again"}, personas.bob)
    assert second["message"]["seq"] == 2 and second["clientMutationId"] is None


async def test_reply_updates_the_root(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """A reply carries the root's threadId; the root's replyCount and lastReplyAt follow;
    the reply is audited as message.post with a message.posted event."""
    root = await post(services, personas.alice, room, "question")
    since = await mark(services, personas.bob.org_id)
    payload = await run(
        gql,
        POST_MESSAGE,
        {"channelId": cid(room), "body": "answer", "threadId": mid(root)},
        personas.bob,
    )
    reply = payload["message"]
    assert payload["errors"] == []
    assert (reply["threadId"], reply["isReply"], reply["seq"]) == (mid(root), True, 2)
    await assert_logged(
        services,
        since,
        action="message.post",
        operation="postMessage",
        actor=personas.bob,
        target_id=_db(reply["id"]),
        events_=[("message.posted", room.id, None)],
    )
    view = await message_view(gql, personas.alice, mid(root))
    assert (view["replyCount"], view["lastReplyAt"]) == (1, reply["createdAt"])
    assert view["replies"]["edges"] == [
        {"node": {"id": reply["id"], "body": "answer", "threadId": mid(root), "isReply": True}}
    ]


async def test_thread_refusals(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Replying to a reply, to a root of another channel, to a deleted or missing root is
    THREAD_NOT_FOUND; a garbage or wrong-typed threadId is NOT_FOUND; all on
    threadId and nothing is written."""
    root = await post(services, personas.alice, room, "q")
    reply = await post(services, personas.alice, room, "a", thread=root)
    other = await make_channel(services, personas.alice, "other", members=(personas.bob,))
    elsewhere = await post(services, personas.alice, other, "x")
    gone = await post(services, personas.alice, room, "gone")
    await msg.delete_message(services, as_user(personas.alice), gone.id)
    before = await snapshot(services)
    cases = [
        (mid(reply), "THREAD_NOT_FOUND"),
        (mid(elsewhere), "THREAD_NOT_FOUND"),
        (mid(gone), "THREAD_NOT_FOUND"),
        (mid(uuid.uuid4()), "THREAD_NOT_FOUND"),
        ("garbage", "NOT_FOUND"),
        (cid(room), "NOT_FOUND"),
    ]
    for thread_id, code in cases:
        payload = await run(
            gql,
            POST_MESSAGE,
            {"channelId": cid(room), "body": "hi", "threadId": thread_id},
            personas.bob,
        )
        assert error_codes(payload) == [(code, "threadId")], thread_id
        assert payload["message"] is None
    assert await snapshot(services) == before


async def test_empty_thread_id_is_not_found_rather_than_a_root(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """threadId "" is a malformed ID like any other: NOT_FOUND on threadId, nothing written
    (a client that meant to reply must not silently post a new root)."""
    await post(services, personas.alice, room, "q")
    before = await snapshot(services)
    payload = await run(
        gql,
        POST_MESSAGE,
        {"channelId": cid(room), "body": "meant as a reply", "threadId": ""},
        personas.bob,
    )
    assert error_codes(payload) == [("NOT_FOUND", "threadId")]
    assert payload["message"] is None
    assert await snapshot(services) == before


async def test_post_needs_membership(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel, carol: Persona
) -> None:
    """A non-member of a public channel gets NOT_A_MEMBER on channelId; another org's
    user gets NOT_FOUND; nothing is written."""
    before = await snapshot(services)
    payload = await run(gql, POST_MESSAGE, {"channelId": cid(room), "body": "hi"}, carol)
    assert error_codes(payload) == [("NOT_A_MEMBER", "channelId")]
    payload = await run(gql, POST_MESSAGE, {"channelId": cid(room), "body": "hi"}, personas.eve)
    assert error_codes(payload) == [("NOT_FOUND", "channelId")]
    assert await snapshot(services) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("", "body"),
        ("   ", "body"),
        ("\n\t \n", "body"),
        ("x" * 40_001, "body"),
        # NUL and other control characters are refused before the mutation runs, as a
        # top-level INVALID_INPUT naming the field: tests/graphql/test_input_rule.py.
    ],
    ids=["empty", "spaces", "whitespace", "40001"],
)
async def test_post_invalid_body(
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    room: Channel,
    body: str,
    field: str,
) -> None:
    """An empty, blank or 40,001-character body is INVALID_INPUT on body."""
    before = await snapshot(services)
    payload = await run(gql, POST_MESSAGE, {"channelId": cid(room), "body": body}, personas.bob)
    assert error_codes(payload) == [("INVALID_INPUT", field)]
    assert payload["message"] is None
    assert await snapshot(services) == before


async def test_post_longest_body(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """40,000 characters (after trimming) is accepted and stored whole."""
    payload = await run(
        gql,
        POST_MESSAGE,
        {"channelId": cid(room), "body": "  " + "é" * 40_000 + "  "},
        personas.bob,
    )
    assert payload["errors"] == []
    assert payload["message"]["body"] == "é" * 40_000


async def test_post_client_mutation_id_too_long(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """A clientMutationId over 64 characters is INVALID_INPUT on clientMutationId."""
    before = await snapshot(services)
    payload = await run(
        gql,
        POST_MESSAGE,
        {"channelId": cid(room), "body": "hi", "clientMutationId": "k" * 65},
        personas.bob,
    )
    assert error_codes(payload) == [("INVALID_INPUT", "clientMutationId")]
    assert await snapshot(services) == before


async def test_post_retry_with_the_same_client_mutation_id(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Retrying with the same clientMutationId returns the first message and writes nothing;
    the key reused for a different body is INVALID_INPUT (docs/adr/0018-idempotency-keys.md);
    the next post keeps seqs gapless; another user's identical key is independent."""
    variables = {"channelId": cid(room), "body": "once", "clientMutationId": "m-1"}
    first = await run(gql, POST_MESSAGE, variables, personas.bob)
    before = await snapshot(services)
    again = await run(gql, POST_MESSAGE, variables, personas.bob)
    assert again["errors"] == [] and again["clientMutationId"] == "m-1"
    assert again["message"] == first["message"]
    reused = await run(gql, POST_MESSAGE, {**variables, "body": "different"}, personas.bob)
    assert error_codes(reused) == [("INVALID_INPUT", "clientMutationId")]
    assert reused["message"] is None
    assert await snapshot(services) == before
    nxt = await run(gql, POST_MESSAGE, {"channelId": cid(room), "body": "next"}, personas.bob)
    assert nxt["message"]["seq"] == first["message"]["seq"] + 1
    other = await run(gql, POST_MESSAGE, variables, personas.alice)
    assert other["message"]["id"] != first["message"]["id"]
    assert await count_rows(services, Message, channel_id=room.id) == 3


# --- editMessage -----------------------------------------------------------------------------


async def test_edit_message(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """An edit bumps version, sets editedAt, keeps the old body as a revision, writes one
    message.edit entry and one message.edited event."""
    message = await post(services, personas.bob, room, "v1")
    since = await mark(services, personas.bob.org_id)
    payload = await run(
        gql,
        EDIT_MESSAGE,
        {"messageId": mid(message), "body": " v2 ", "expectedVersion": 1, "clientMutationId": "e"},
        personas.bob,
    )
    assert payload["errors"] == [] and payload["clientMutationId"] == "e"
    edited = payload["message"]
    assert (edited["body"], edited["version"], edited["seq"]) == ("v2", 2, message.seq)
    assert edited["editedAt"] is not None
    assert [(r["version"], r["body"], r["editedBy"]) for r in edited["revisions"]] == [
        (1, "v1", {"id": gid("User", personas.bob.id)})
    ]
    await assert_logged(
        services,
        since,
        action="message.edit",
        operation="editMessage",
        actor=personas.bob,
        target_id=message.id,
        events_=[("message.edited", room.id, None)],
    )
    third = await run(gql, EDIT_MESSAGE, {"messageId": mid(message), "body": "v3"}, personas.bob)
    assert third["message"]["version"] == 3
    assert [r["body"] for r in third["message"]["revisions"]] == ["v1", "v2"]


async def test_revisions_are_for_the_author_and_admins(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel, carol: Persona
) -> None:
    """revisions is a list for the author and an admin, null for any other member."""
    message = await post(services, personas.bob, room, "v1")
    await msg.edit_message(services, as_user(personas.bob), message_id=message.id, body="v2")
    expected = [(1, "v1", "Bob")]
    for persona in (personas.bob, personas.alice):
        view = await message_view(gql, persona, mid(message))
        assert [
            (r["version"], r["body"], r["editedBy"]["displayName"]) for r in view["revisions"]
        ] == expected
    await ch.join_channel(services, as_user(carol), room.id)
    assert (await message_view(gql, carol, mid(message)))["revisions"] is None
    unedited = await post(services, personas.bob, room, "plain")
    assert (await message_view(gql, personas.bob, mid(unedited)))["revisions"] == []


async def test_edit_version_conflict_returns_the_current_message(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """A stale expectedVersion is VERSION_CONFLICT on expectedVersion, the payload carries
    the current message (version and body) and nothing is written."""
    message = await post(services, personas.bob, room, "v1")
    await msg.edit_message(services, as_user(personas.bob), message_id=message.id, body="v2")
    before = await snapshot(services)
    payload = await run(
        gql,
        EDIT_MESSAGE,
        {"messageId": mid(message), "body": "v3", "expectedVersion": 1, "clientMutationId": "c"},
        personas.bob,
    )
    assert error_codes(payload) == [("VERSION_CONFLICT", "expectedVersion")]
    assert payload["clientMutationId"] == "c"
    assert (payload["message"]["id"], payload["message"]["version"]) == (mid(message), 2)
    assert payload["message"]["body"] == "v2"
    assert await snapshot(services) == before


async def test_edit_by_someone_else_is_forbidden(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Only the author edits: another member and even an admin get top-level FORBIDDEN."""
    message = await post(services, personas.bob, room, "mine")
    other = await post(services, personas.alice, room, "alice's")
    before = await snapshot(services)
    for persona, target in ((personas.alice, message), (personas.bob, other)):
        result = await gql.execute(
            EDIT_MESSAGE,
            {"input": {"messageId": mid(target), "body": "hijacked"}},
            as_=persona,
        )
        assert top_codes(result) == ["FORBIDDEN"] and result["data"] is None
    assert await snapshot(services) == before
    assert (await message_view(gql, personas.bob, mid(message)))["body"] == "mine"


async def test_edit_refusals(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Editing a deleted message is MESSAGE_DELETED; an invalid body INVALID_INPUT; an
    archived channel CHANNEL_ARCHIVED; another org's, a missing or a garbage message
    NOT_FOUND on messageId; nothing is written."""
    deleted = await post(services, personas.bob, room, "gone")
    await msg.delete_message(services, as_user(personas.bob), deleted.id)
    live = await post(services, personas.bob, room, "here")
    old = await make_channel(services, personas.alice, "old", members=(personas.bob,))
    frozen = await post(services, personas.bob, old, "frozen")
    await ch.archive_channel(services, as_user(personas.alice), old.id)
    before = await snapshot(services)
    cases = [
        (personas.bob, mid(deleted), "x", ("MESSAGE_DELETED", "messageId")),
        (personas.bob, mid(live), "   ", ("INVALID_INPUT", "body")),
        (personas.bob, mid(live), "y" * 40_001, ("INVALID_INPUT", "body")),
        (personas.bob, mid(frozen), "thaw", ("CHANNEL_ARCHIVED", None)),
        (personas.eve, mid(live), "x", ("NOT_FOUND", "messageId")),
        (personas.bob, mid(uuid.uuid4()), "x", ("NOT_FOUND", "messageId")),
        (personas.bob, "garbage", "x", ("NOT_FOUND", "messageId")),
        (personas.bob, cid(room), "x", ("NOT_FOUND", "messageId")),
    ]
    for persona, message_id, body, expected in cases:
        payload = await run(gql, EDIT_MESSAGE, {"messageId": message_id, "body": body}, persona)
        assert error_codes(payload) == [expected], expected
        assert payload["message"] is None
    assert await snapshot(services) == before


async def test_edit_with_the_same_body_writes_nothing(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Saving an unchanged body (after trimming) keeps the version and writes nothing."""
    message = await post(services, personas.bob, room, "same")
    before = await snapshot(services)
    payload = await run(
        gql,
        EDIT_MESSAGE,
        {"messageId": mid(message), "body": " same ", "expectedVersion": 1},
        personas.bob,
    )
    assert payload["errors"] == []
    assert (payload["message"]["version"], payload["message"]["editedAt"]) == (1, None)
    assert await snapshot(services) == before


# --- deleteMessage ---------------------------------------------------------------------------


async def test_delete_message_keeps_replies(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """The author deletes a root: body "" and isDeleted, version bumped, replies kept; one
    message.delete entry and one message.deleted event; deleting again writes nothing."""
    root = await post(services, personas.bob, room, "secret")
    reply = await post(services, personas.alice, room, "reply", thread=root)
    since = await mark(services, personas.bob.org_id)
    payload = await run(
        gql, DELETE_MESSAGE, {"messageId": mid(root), "clientMutationId": "d"}, personas.bob
    )
    assert payload["errors"] == [] and payload["clientMutationId"] == "d"
    deleted = payload["message"]
    assert (deleted["body"], deleted["isDeleted"], deleted["version"]) == ("", True, 2)
    assert deleted["deletedAt"] is not None and deleted["replyCount"] == 1
    await assert_logged(
        services,
        since,
        action="message.delete",
        operation="deleteMessage",
        actor=personas.bob,
        target_id=root.id,
        events_=[("message.deleted", room.id, None)],
    )
    view = await message_view(gql, personas.alice, mid(root))
    assert [e["node"]["id"] for e in view["replies"]["edges"]] == [mid(reply)]
    assert view["body"] == "" and view["isDeleted"] is True
    before = await snapshot(services)
    again = await run(gql, DELETE_MESSAGE, {"messageId": mid(root)}, personas.alice)
    assert again["errors"] == [] and again["message"]["deletedAt"] == deleted["deletedAt"]
    assert await snapshot(services) == before


async def test_admin_may_delete_anyones_message(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """An admin deletes a member's message; the audit entry names the admin."""
    message = await post(services, personas.bob, room, "oops")
    since = await mark(services, personas.alice.org_id)
    payload = await run(gql, DELETE_MESSAGE, {"messageId": mid(message)}, personas.alice)
    assert payload["errors"] == [] and payload["message"]["isDeleted"] is True
    await assert_logged(
        services,
        since,
        action="message.delete",
        operation="deleteMessage",
        actor=personas.alice,
        target_id=message.id,
        events_=[("message.deleted", room.id, None)],
    )


async def test_delete_refusals(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel, carol: Persona
) -> None:
    """Another member gets top-level FORBIDDEN; another org NOT_FOUND; an archived channel
    CHANNEL_ARCHIVED; nothing is written."""
    message = await post(services, personas.alice, room, "keep")
    await ch.join_channel(services, as_user(carol), room.id)
    old = await make_channel(services, personas.alice, "old")
    frozen = await post(services, personas.alice, old, "frozen")
    await ch.archive_channel(services, as_user(personas.alice), old.id)
    before = await snapshot(services)
    for persona in (personas.bob, carol):
        result = await gql.execute(
            DELETE_MESSAGE, {"input": {"messageId": mid(message)}}, as_=persona
        )
        assert top_codes(result) == ["FORBIDDEN"] and result["data"] is None
    payload = await run(gql, DELETE_MESSAGE, {"messageId": mid(message)}, personas.eve)
    assert error_codes(payload) == [("NOT_FOUND", "messageId")]
    payload = await run(gql, DELETE_MESSAGE, {"messageId": mid(frozen)}, personas.alice)
    assert error_codes(payload) == [("CHANNEL_ARCHIVED", None)]
    payload = await run(gql, DELETE_MESSAGE, {"messageId": "garbage"}, personas.alice)
    assert error_codes(payload) == [("NOT_FOUND", "messageId")]
    assert await snapshot(services) == before


# --- addReaction / removeReaction ------------------------------------------------------------


async def test_add_and_remove_reaction(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """addReaction writes one reaction.add entry and a reaction.added event and shows the
    summary; repeating writes nothing; removeReaction likewise with reaction.remove."""
    message = await post(services, personas.alice, room, "hi")
    since = await mark(services, personas.bob.org_id)
    payload = await run(
        gql,
        ADD_REACTION,
        {"messageId": mid(message), "emoji": " 👍 ", "clientMutationId": "r"},
        personas.bob,
    )
    assert payload["errors"] == [] and payload["clientMutationId"] == "r"
    bob = {"id": gid("User", personas.bob.id), "displayName": "Bob"}
    assert payload["message"]["reactions"] == [
        {"emoji": "👍", "count": 1, "viewerHasReacted": True, "users": [bob]}
    ]
    await assert_logged(
        services,
        since,
        action="reaction.add",
        operation="addReaction",
        actor=personas.bob,
        target_id=message.id,
        events_=[("reaction.added", room.id, None)],
    )
    before = await snapshot(services)
    again = await run(gql, ADD_REACTION, {"messageId": mid(message), "emoji": "👍"}, personas.bob)
    assert again["errors"] == [] and again["message"]["reactions"][0]["count"] == 1
    assert await snapshot(services) == before

    since = await mark(services, personas.bob.org_id)
    removed = await run(
        gql, REMOVE_REACTION, {"messageId": mid(message), "emoji": "👍"}, personas.bob
    )
    assert removed["errors"] == [] and removed["message"]["reactions"] == []
    await assert_logged(
        services,
        since,
        action="reaction.remove",
        operation="removeReaction",
        actor=personas.bob,
        target_id=message.id,
        events_=[("reaction.removed", room.id, None)],
    )
    before = await snapshot(services)
    again = await run(
        gql, REMOVE_REACTION, {"messageId": mid(message), "emoji": "👍"}, personas.bob
    )
    assert again["errors"] == [] and again["message"]["reactions"] == []
    assert await snapshot(services) == before
    assert await count_rows(services, Reaction) == 0


async def test_reaction_summary(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Summaries group by emoji in order of first use, count everyone, say whether the
    viewer reacted, and list at most the first three people."""
    message = await post(services, personas.alice, room, "vote")
    reactors = [personas.bob, personas.alice]
    for name in ("carol", "dave", "erin"):
        member = await another_member(services, personas, name)
        await ch.join_channel(services, as_user(member), room.id)
        reactors.append(member)
    for persona in reactors:
        await rx.add_reaction(services, as_user(persona), message.id, "👍")
    await rx.add_reaction(services, as_user(personas.alice), message.id, ":tada:")
    view = await message_view(gql, personas.bob, mid(message))
    assert [
        (r["emoji"], r["count"], r["viewerHasReacted"], [u["displayName"] for u in r["users"]])
        for r in view["reactions"]
    ] == [("👍", 5, True, ["Bob", "Alice", "Carol"]), (":tada:", 1, False, ["Alice"])]
    eves_view = await gql.execute(MESSAGE, {"id": mid(message)}, as_=personas.eve)
    assert eves_view == {"data": {"message": None}}


@pytest.mark.parametrize("query", [ADD_REACTION, REMOVE_REACTION], ids=["add", "remove"])
async def test_reaction_refusals(
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    room: Channel,
    carol: Persona,
    query: str,
) -> None:
    """INVALID_EMOJI on emoji; NOT_A_MEMBER for a non-member; NOT_FOUND for another org or a
    garbage ID; MESSAGE_DELETED for a deleted message; CHANNEL_ARCHIVED when archived;
    nothing is written."""
    message = await post(services, personas.alice, room, "hi")
    gone = await post(services, personas.alice, room, "gone")
    await msg.delete_message(services, as_user(personas.alice), gone.id)
    old = await make_channel(services, personas.alice, "old", members=(personas.bob,))
    frozen = await post(services, personas.alice, old, "frozen")
    await ch.archive_channel(services, as_user(personas.alice), old.id)
    before = await snapshot(services)
    cases = [
        (personas.bob, mid(message), "nope", ("INVALID_EMOJI", "emoji")),
        (personas.bob, mid(message), "", ("INVALID_EMOJI", "emoji")),
        (personas.bob, mid(message), ":Upper:", ("INVALID_EMOJI", "emoji")),
        (carol, mid(message), "👍", ("NOT_A_MEMBER", "channelId")),
        (personas.eve, mid(message), "👍", ("NOT_FOUND", "messageId")),
        (personas.bob, "garbage", "👍", ("NOT_FOUND", "messageId")),
        (personas.bob, mid(uuid.uuid4()), "👍", ("NOT_FOUND", "messageId")),
        (personas.bob, mid(gone), "👍", ("MESSAGE_DELETED", "messageId")),
        (personas.bob, mid(frozen), "👍", ("CHANNEL_ARCHIVED", None)),
    ]
    for persona, message_id, emoji, expected in cases:
        payload = await run(gql, query, {"messageId": message_id, "emoji": emoji}, persona)
        assert error_codes(payload) == [expected], expected
        assert payload["message"] is None
    assert await snapshot(services) == before


async def test_mutations_need_authentication(
    gql: GraphQLClient, services: Services, personas: Personas, room: Channel
) -> None:
    """Without a token every message mutation is UNAUTHENTICATED and writes nothing."""
    message = await post(services, personas.alice, room, "hi")
    before = await snapshot(services)
    for query, input in (
        (POST_MESSAGE, {"channelId": cid(room), "body": "x"}),
        (EDIT_MESSAGE, {"messageId": mid(message), "body": "x"}),
        (DELETE_MESSAGE, {"messageId": mid(message)}),
        (ADD_REACTION, {"messageId": mid(message), "emoji": "👍"}),
        (REMOVE_REACTION, {"messageId": mid(message), "emoji": "👍"}),
    ):
        result = await gql.execute(query, {"input": input})
        assert top_codes(result) == ["UNAUTHENTICATED"] and result["data"] is None
    assert await snapshot(services) == before
    assert await count_rows(services, MessageRevision) == 0
