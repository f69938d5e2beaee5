"""Who may do what in the chat core, as one table (docs/adr/0005-api-contract.md).

Every query and mutation runs against Acme's objects as anonymous, Eve (admin of another
org), Bob (an Acme member outside both channels) and Alice (Acme admin, creator of both):

- anonymous: top-level UNAUTHENTICATED, nothing written;
- Eve: NOT_FOUND in the payload (null for queries), never FORBIDDEN, nothing written, and no
  Acme channel name or message body in any response;
- Bob: what an org member gets (public channel visible, private one NOT_FOUND, not a member
  of either, not the creator or author);
- Alice: success.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.chat import make_channel, post
from tests.support.db import snapshot
from tests.support.graphql_client import GraphQLClient, gid
from tests.support.operations import (
    ADD_REACTION,
    ARCHIVE_CHANNEL,
    CREATE_CHANNEL,
    DELETE_MESSAGE,
    EDIT_MESSAGE,
    INVITE_TO_CHANNEL,
    JOIN_CHANNEL,
    LEAVE_CHANNEL,
    MARK_CHANNEL_READ,
    POST_MESSAGE,
    REMOVE_REACTION,
    UPDATE_CHANNEL,
    cid,
    login_all,
    mid,
    top_codes,
)
from tests.support.personas import Persona, Personas, as_user
from workchat.actions import reactions as rx
from workchat.db.models import Channel, Message
from workchat.services import Services

ACME_SECRETS = ("acme-public", "acme-private", "acme public body", "acme private body", "Acme")

CHANNELS = "{ channels(filter: {includeArchived: true}) { edges { node { name } } } }"
CHANNEL = "query($id: ID!) { channel(id: $id) { id name } }"
MESSAGE = "query($id: ID!) { message(id: $id) { id body channel { name } } }"
NODE = """query($id: ID!) {
    node(id: $id) { __typename id ... on Channel { name } ... on Message { body } }
}"""


@dataclass(frozen=True)
class World:
    personas: Personas
    public: Channel
    private: Channel
    public_msg: Message
    private_msg: Message


@dataclass(frozen=True)
class Expect:
    kind: str  # ok | null | error | forbidden
    code: str | None = None
    field: str | None = None
    check: Callable[[Any], bool] | None = None
    writes: bool = False


def ok(check: Callable[[Any], bool], *, writes: bool = True) -> Expect:
    """Success; ``check`` gets the root field's value; ``writes`` says whether rows change."""
    return Expect("ok", check=check, writes=writes)


NULL = Expect("null")
FORBIDDEN = Expect("forbidden")


def err(code: str, field: str | None) -> Expect:
    return Expect("error", code=code, field=field)


NF_CHANNEL = err("NOT_FOUND", "channelId")
NF_MESSAGE = err("NOT_FOUND", "messageId")


@dataclass(frozen=True)
class Row:
    id: str
    query: str
    variables: Callable[[World], dict[str, Any]]
    eve: Expect
    bob: Expect
    alice: Expect


def inp(**build: Callable[[World], Any]) -> Callable[[World], dict[str, Any]]:
    """Mutation variables: ``{"input": {...}}`` built from the world."""
    return lambda w: {"input": {key: make(w) for key, make in build.items()}}


def var(make: Callable[[World], str]) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"id": make(w)}


def public(w: World) -> str:
    return cid(w.public)


def private(w: World) -> str:
    return cid(w.private)


def public_msg(w: World) -> str:
    return mid(w.public_msg)


def private_msg(w: World) -> str:
    return mid(w.private_msg)


def names(value: Any) -> list[str]:
    return [edge["node"]["name"] for edge in value["edges"]]


def channel_named(name: str) -> Callable[[Any], bool]:
    return lambda value: value["errors"] == [] and value["channel"]["name"] == name


def message_ok(value: Any) -> bool:
    return value["errors"] == [] and value["message"] is not None


ROWS = [
    # --- queries ---
    Row(
        "channels",
        CHANNELS,
        lambda w: {},
        eve=ok(lambda v: names(v) == ["general"], writes=False),
        bob=ok(lambda v: names(v) == ["acme-public", "general"], writes=False),
        alice=ok(lambda v: names(v) == ["acme-private", "acme-public", "general"], writes=False),
    ),
    Row(
        "channel-public",
        CHANNEL,
        var(public),
        eve=NULL,
        bob=ok(lambda v: v["name"] == "acme-public", writes=False),
        alice=ok(lambda v: v["name"] == "acme-public", writes=False),
    ),
    Row(
        "channel-private",
        CHANNEL,
        var(private),
        eve=NULL,
        bob=NULL,
        alice=ok(lambda v: v["name"] == "acme-private", writes=False),
    ),
    Row(
        "message-public",
        MESSAGE,
        var(public_msg),
        eve=NULL,
        bob=ok(lambda v: v["body"] == "acme public body", writes=False),
        alice=ok(lambda v: v["body"] == "acme public body", writes=False),
    ),
    Row(
        "message-private",
        MESSAGE,
        var(private_msg),
        eve=NULL,
        bob=NULL,
        alice=ok(lambda v: v["channel"]["name"] == "acme-private", writes=False),
    ),
    Row(
        "node-public-channel",
        NODE,
        var(public),
        eve=NULL,
        bob=ok(lambda v: (v["__typename"], v["name"]) == ("Channel", "acme-public"), writes=False),
        alice=ok(lambda v: v["__typename"] == "Channel", writes=False),
    ),
    Row(
        "node-private-channel",
        NODE,
        var(private),
        eve=NULL,
        bob=NULL,
        alice=ok(lambda v: v["name"] == "acme-private", writes=False),
    ),
    Row(
        "node-public-message",
        NODE,
        var(public_msg),
        eve=NULL,
        bob=ok(lambda v: v["body"] == "acme public body", writes=False),
        alice=ok(lambda v: v["__typename"] == "Message", writes=False),
    ),
    Row(
        "node-private-message",
        NODE,
        var(private_msg),
        eve=NULL,
        bob=NULL,
        alice=ok(lambda v: v["body"] == "acme private body", writes=False),
    ),
    # --- channel mutations ---
    Row(
        "createChannel-taken-name",
        CREATE_CHANNEL,
        inp(name=lambda w: "acme-public"),
        # names are per org: Eve learns nothing and simply gets her own channel
        eve=ok(channel_named("acme-public")),
        bob=err("NAME_TAKEN", "name"),
        alice=err("NAME_TAKEN", "name"),
    ),
    Row(
        "updateChannel-public",
        UPDATE_CHANNEL,
        inp(channelId=public, description=lambda w: "changed"),
        eve=NF_CHANNEL,
        bob=FORBIDDEN,
        alice=ok(lambda v: v["channel"]["description"] == "changed"),
    ),
    Row(
        "updateChannel-private",
        UPDATE_CHANNEL,
        inp(channelId=private, description=lambda w: "changed"),
        eve=NF_CHANNEL,
        bob=NF_CHANNEL,
        alice=ok(lambda v: v["channel"]["description"] == "changed"),
    ),
    Row(
        "archiveChannel-public",
        ARCHIVE_CHANNEL,
        inp(channelId=public),
        eve=NF_CHANNEL,
        bob=FORBIDDEN,
        alice=ok(lambda v: v["channel"]["isArchived"] is True),
    ),
    Row(
        "archiveChannel-private",
        ARCHIVE_CHANNEL,
        inp(channelId=private),
        eve=NF_CHANNEL,
        bob=NF_CHANNEL,
        alice=ok(lambda v: v["channel"]["isArchived"] is True),
    ),
    Row(
        "joinChannel-public",
        JOIN_CHANNEL,
        inp(channelId=public),
        eve=NF_CHANNEL,
        bob=ok(lambda v: v["channel"]["viewerIsMember"] is True),
        alice=ok(lambda v: v["channel"]["memberCount"] == 2, writes=False),  # after Bob
    ),
    Row(
        "joinChannel-private",
        JOIN_CHANNEL,
        inp(channelId=private),
        eve=NF_CHANNEL,
        bob=NF_CHANNEL,
        alice=ok(lambda v: v["channel"]["viewerIsMember"] is True, writes=False),
    ),
    Row(
        "leaveChannel-public",
        LEAVE_CHANNEL,
        inp(channelId=public),
        eve=NF_CHANNEL,
        bob=ok(lambda v: v["channel"]["viewerIsMember"] is False, writes=False),
        alice=ok(lambda v: v["channel"]["viewerIsMember"] is False),
    ),
    Row(
        "leaveChannel-private",
        LEAVE_CHANNEL,
        inp(channelId=private),
        eve=NF_CHANNEL,
        bob=NF_CHANNEL,
        alice=ok(lambda v: v["channel"]["viewerIsMember"] is False),
    ),
    Row(
        "inviteToChannel-private",
        INVITE_TO_CHANNEL,
        inp(channelId=private, userId=lambda w: gid("User", w.personas.bob.id)),
        eve=NF_CHANNEL,
        bob=NF_CHANNEL,
        alice=ok(lambda v: v["channel"]["memberCount"] == 2),
    ),
    Row(
        "inviteToChannel-public",
        INVITE_TO_CHANNEL,
        inp(channelId=public, userId=lambda w: gid("User", w.personas.bob.id)),
        eve=NF_CHANNEL,
        bob=err("NOT_A_MEMBER", "channelId"),
        alice=ok(lambda v: v["channel"]["memberCount"] == 2),
    ),
    Row(
        "markChannelRead-public",
        MARK_CHANNEL_READ,
        inp(channelId=public, upToMessageId=public_msg),
        eve=NF_CHANNEL,
        bob=err("NOT_A_MEMBER", "channelId"),
        alice=ok(lambda v: v["errors"] == [] and v["channel"]["unreadCount"] == 0),
    ),
    Row(
        "markChannelRead-private",
        MARK_CHANNEL_READ,
        inp(channelId=private, upToMessageId=private_msg),
        eve=NF_CHANNEL,
        bob=NF_CHANNEL,
        alice=ok(lambda v: v["errors"] == [] and v["channel"]["unreadCount"] == 0),
    ),
    # --- message mutations ---
    Row(
        "postMessage-public",
        POST_MESSAGE,
        inp(channelId=public, body=lambda w: "hello"),
        eve=NF_CHANNEL,
        bob=err("NOT_A_MEMBER", "channelId"),
        alice=ok(message_ok),
    ),
    Row(
        "postMessage-private",
        POST_MESSAGE,
        inp(channelId=private, body=lambda w: "hello"),
        eve=NF_CHANNEL,
        bob=NF_CHANNEL,
        alice=ok(message_ok),
    ),
    Row(
        "postMessage-reply-public",
        POST_MESSAGE,
        inp(channelId=public, body=lambda w: "re", threadId=public_msg),
        eve=NF_CHANNEL,
        bob=err("NOT_A_MEMBER", "channelId"),
        alice=ok(lambda v: v["message"]["isReply"] is True),
    ),
    Row(
        "editMessage-public",
        EDIT_MESSAGE,
        inp(messageId=public_msg, body=lambda w: "edited"),
        eve=NF_MESSAGE,
        bob=FORBIDDEN,
        alice=ok(lambda v: v["message"]["version"] == 2),
    ),
    Row(
        "editMessage-private",
        EDIT_MESSAGE,
        inp(messageId=private_msg, body=lambda w: "edited"),
        eve=NF_MESSAGE,
        bob=NF_MESSAGE,
        alice=ok(lambda v: v["message"]["version"] == 2),
    ),
    Row(
        "deleteMessage-public",
        DELETE_MESSAGE,
        inp(messageId=public_msg),
        eve=NF_MESSAGE,
        bob=FORBIDDEN,
        alice=ok(lambda v: v["message"]["isDeleted"] is True),
    ),
    Row(
        "deleteMessage-private",
        DELETE_MESSAGE,
        inp(messageId=private_msg),
        eve=NF_MESSAGE,
        bob=NF_MESSAGE,
        alice=ok(lambda v: v["message"]["isDeleted"] is True),
    ),
    Row(
        "addReaction-public",
        ADD_REACTION,
        inp(messageId=public_msg, emoji=lambda w: ":tada:"),
        eve=NF_MESSAGE,
        bob=err("NOT_A_MEMBER", "channelId"),
        alice=ok(lambda v: [r["emoji"] for r in v["message"]["reactions"]] == ["👍", ":tada:"]),
    ),
    Row(
        "addReaction-private",
        ADD_REACTION,
        inp(messageId=private_msg, emoji=lambda w: ":tada:"),
        eve=NF_MESSAGE,
        bob=NF_MESSAGE,
        alice=ok(lambda v: len(v["message"]["reactions"]) == 2),
    ),
    Row(
        "removeReaction-public",
        REMOVE_REACTION,
        inp(messageId=public_msg, emoji=lambda w: "👍"),
        eve=NF_MESSAGE,
        bob=err("NOT_A_MEMBER", "channelId"),
        alice=ok(lambda v: v["message"]["reactions"] == []),
    ),
    Row(
        "removeReaction-private",
        REMOVE_REACTION,
        inp(messageId=private_msg, emoji=lambda w: "👍"),
        eve=NF_MESSAGE,
        bob=NF_MESSAGE,
        alice=ok(lambda v: v["message"]["reactions"] == []),
    ),
]


@pytest.fixture
async def world(services: Services, personas: Personas, gql: GraphQLClient) -> World:
    """Acme: #acme-public and #acme-private by Alice, each with a message by Alice that she
    reacted 👍 to; Bob is in neither. Everyone is logged in before anything is counted."""
    public = await make_channel(services, personas.alice, "acme-public")
    private = await make_channel(services, personas.alice, "acme-private", private=True)
    public_msg = await post(services, personas.alice, public, "acme public body")
    private_msg = await post(services, personas.alice, private, "acme private body")
    for message in (public_msg, private_msg):
        await rx.add_reaction(services, as_user(personas.alice), message.id, "👍")
    await login_all(gql, personas.alice, personas.bob, personas.eve)
    return World(personas, public, private, public_msg, private_msg)


QUERIES = ("channels", "channel", "message", "node")
MUTATIONS = (
    "createChannel",
    "updateChannel",
    "archiveChannel",
    "joinChannel",
    "leaveChannel",
    "inviteToChannel",
    "markChannelRead",
    "postMessage",
    "editMessage",
    "deleteMessage",
    "addReaction",
    "removeReaction",
)


def _root(query: str) -> str:
    """The operation's one root field."""
    for name in QUERIES + MUTATIONS:
        if f"{name}(" in query:
            return name
    raise AssertionError(query)


async def _check(
    gql: GraphQLClient,
    services: Services,
    row: Row,
    world: World,
    persona: Persona | None,
    expect: Expect,
) -> dict[str, Any]:
    root = _root(row.query)
    variables = row.variables(world)
    before = await snapshot(services)
    result = await gql.execute(row.query, variables, as_=persona)
    who = persona.name if persona else "anonymous"
    label = f"{row.id} as {who}: {result}"
    changed = await snapshot(services) != before
    if expect.kind == "ok":
        assert not result.get("errors"), label
        value = result["data"][root]
        assert value is not None and expect.check is not None and expect.check(value), label
        assert changed is expect.writes, label
        return result
    assert not changed, f"refused call wrote rows: {label}"
    if expect.kind == "unauthenticated":
        assert top_codes(result) == ["UNAUTHENTICATED"], label
        assert not (result.get("data") or {}).get(root), label
    elif expect.kind == "forbidden":
        assert top_codes(result) == ["FORBIDDEN"], label
        assert result["data"] is None, label
    elif expect.kind == "null":
        assert result == {"data": {root: None}}, label
    else:
        assert not result.get("errors"), label
        payload = result["data"][root]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            (expect.code, expect.field)
        ], label
        assert all(v is None for k, v in payload.items() if k not in ("errors",)), label
    return result


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
async def test_authorization_matrix(
    gql: GraphQLClient, services: Services, world: World, row: Row
) -> None:
    """One operation against Acme's objects, as anonymous, Eve, Bob, then Alice."""
    anonymous = await _check(gql, services, row, world, None, Expect("unauthenticated"))
    eve = await _check(gql, services, row, world, world.personas.eve, row.eve)
    assert row.eve.kind != "forbidden"
    own_input = json.dumps(row.variables(world), ensure_ascii=False)
    for response in (anonymous, eve):
        text = json.dumps(response, ensure_ascii=False)
        leaked = [s for s in ACME_SECRETS if s in text and s not in own_input]
        assert leaked == [], f"{row.id}: {leaked} in {text}"
    await _check(gql, services, row, world, world.personas.bob, row.bob)
    await _check(gql, services, row, world, world.personas.alice, row.alice)


def test_matrix_covers_every_chat_operation() -> None:
    """Each chat-core query and mutation appears in the table."""
    covered = {_root(row.query) for row in ROWS}
    assert covered == set(QUERIES + MUTATIONS)
