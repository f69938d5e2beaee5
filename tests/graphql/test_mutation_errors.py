"""The error codes each mutation lists (MUTATION_ERRORS, also its SDL description) are the
codes it really returns: every listed code is triggered here through GraphQL, and only
codes a UserError can carry are in the schema's ErrorCode enum."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLEnumType, GraphQLObjectType

from tests.support.chat import general, make_channel, post
from tests.support.db import snapshot
from tests.support.graphql_client import GraphQLClient, gid
from tests.support.operations import cid, login_all, mid
from tests.support.personas import Persona, Personas, as_user, new_member
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions import users as users_actions
from workchat.auth.viewer import system
from workchat.db.models import Channel, Message
from workchat.errors import ErrorCode, RequestErrorCode
from workchat.graphql.mutations import MUTATION_ERRORS
from workchat.graphql.schema import schema
from workchat.services import Services


def _mutation_type() -> GraphQLObjectType:
    mutation = schema._schema.mutation_type
    assert mutation is not None
    return mutation


def test_every_mutation_describes_exactly_its_listed_codes() -> None:
    fields = _mutation_type().fields
    assert set(fields) == set(MUTATION_ERRORS)
    for name, field in fields.items():
        codes = MUTATION_ERRORS[name]
        listed = ", ".join(code.value for code in codes) if codes else "none"
        assert field.description is not None
        assert field.description.endswith(f" Errors: {listed}."), name


def test_error_code_enum_holds_only_user_error_codes() -> None:
    enum = schema._schema.type_map["ErrorCode"]
    assert isinstance(enum, GraphQLEnumType)
    assert set(enum.values) == {code.value for code in ErrorCode}
    request_only = {code.value for code in RequestErrorCode} - {code.value for code in ErrorCode}
    assert {"UNAUTHENTICATED", "FORBIDDEN", "INTERNAL", "INVALID_QUERY"} <= request_only
    assert not request_only & set(enum.values)


@dataclass
class World:
    """Acme with a public #room by Bob (Alice is not in it), an archived #attic Bob is in,
    #general, a deactivated user; and Evil Corp's Eve."""

    personas: Personas
    room: Channel
    attic: Channel
    general: Channel
    root: Message
    reply: Message
    gone: Message
    stored: Message
    elsewhere: Message
    inactive: uuid.UUID


async def build_world(services: Services, personas: Personas) -> World:
    bob = as_user(personas.bob)
    room = await make_channel(services, personas.bob, "room")
    attic = await make_channel(services, personas.bob, "attic")
    root = await post(services, personas.bob, room, "root")
    reply = await post(services, personas.bob, room, "reply", thread=root)
    gone = await post(services, personas.bob, room, "gone")
    await msg.delete_message(services, bob, gone.id)
    stored = await post(services, personas.bob, attic, "stored")
    await ch.archive_channel(services, bob, attic.id)
    elsewhere = await post(services, personas.bob, await general(services, personas.bob), "hi")
    carol = await new_member(services, personas.alice.org_id, "carol")
    assert carol.user_id is not None
    await users_actions.deactivate_user(services, system(), carol.user_id)
    return World(
        personas,
        room,
        attic,
        await general(services, personas.bob),
        root,
        reply,
        gone,
        stored,
        elsewhere,
        carol.user_id,
    )


def uid(persona: Persona | uuid.UUID) -> str:
    return gid("User", persona if isinstance(persona, uuid.UUID) else persona.id)


# (mutation, code) -> who calls it with which input, in the world above.
Scenario = Callable[[World], tuple[Persona | None, dict[str, Any]]]
SCENARIOS: dict[tuple[str, ErrorCode], Scenario] = {
    ("login", ErrorCode.INVALID_CREDENTIALS): lambda w: (
        None,
        {"email": "nobody@example.com", "password": "whatever-it-is"},
    ),
    ("refreshToken", ErrorCode.INVALID_TOKEN): lambda w: (None, {"refreshToken": "wcr_bogus"}),
    ("createUser", ErrorCode.INVALID_INPUT): lambda w: (
        w.personas.alice,
        {"email": "not-an-email", "displayName": "X", "password": "long-enough-pass"},
    ),
    ("createUser", ErrorCode.EMAIL_TAKEN): lambda w: (
        w.personas.alice,
        {"email": w.personas.bob.email, "displayName": "X", "password": "long-enough-pass"},
    ),
    ("updateUserRole", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.alice,
        {"userId": uid(w.personas.eve), "role": "ADMIN"},
    ),
    ("updateUserRole", ErrorCode.LAST_ADMIN): lambda w: (
        w.personas.alice,
        {"userId": uid(w.personas.alice), "role": "MEMBER"},
    ),
    ("deactivateUser", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.alice,
        {"userId": uid(w.personas.eve)},
    ),
    ("deactivateUser", ErrorCode.LAST_ADMIN): lambda w: (
        w.personas.alice,
        {"userId": uid(w.personas.alice)},
    ),
    ("createApiToken", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.alice,
        {"userId": uid(w.personas.eve), "name": "bot"},
    ),
    ("createApiToken", ErrorCode.INVALID_INPUT): lambda w: (
        w.personas.alice,
        {"userId": uid(w.inactive), "name": "bot"},
    ),
    ("revokeApiToken", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.alice,
        {"tokenId": gid("ApiToken", uuid.uuid4())},
    ),
    ("createChannel", ErrorCode.INVALID_INPUT): lambda w: (w.personas.bob, {"name": "#"}),
    ("createChannel", ErrorCode.NAME_TAKEN): lambda w: (w.personas.bob, {"name": "ROOM"}),
    # Cyrillic U+043E for Latin "o": looks like #room.
    ("createChannel", ErrorCode.NAME_CONFUSABLE): lambda w: (
        w.personas.bob,
        {"name": "r\u043e\u043em"},
    ),
    ("updateChannel", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.eve,
        {"channelId": cid(w.room), "name": "mine"},
    ),
    ("updateChannel", ErrorCode.CHANNEL_ARCHIVED): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.attic), "description": "dusty"},
    ),
    ("updateChannel", ErrorCode.SYSTEM_CHANNEL): lambda w: (
        w.personas.alice,
        {"channelId": cid(w.general), "name": "lobby"},
    ),
    ("updateChannel", ErrorCode.INVALID_INPUT): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.room), "name": "x" * 81},
    ),
    ("updateChannel", ErrorCode.NAME_TAKEN): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.room), "name": "General"},
    ),
    ("updateChannel", ErrorCode.NAME_CONFUSABLE): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.room), "name": "genera1"},
    ),
    ("archiveChannel", ErrorCode.NOT_FOUND): lambda w: (w.personas.bob, {"channelId": "nope"}),
    ("archiveChannel", ErrorCode.SYSTEM_CHANNEL): lambda w: (
        w.personas.alice,
        {"channelId": cid(w.general)},
    ),
    ("joinChannel", ErrorCode.NOT_FOUND): lambda w: (w.personas.eve, {"channelId": cid(w.room)}),
    ("joinChannel", ErrorCode.CHANNEL_ARCHIVED): lambda w: (
        w.personas.alice,
        {"channelId": cid(w.attic)},
    ),
    ("leaveChannel", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.bob,
        {"channelId": cid(uuid.uuid4())},
    ),
    ("leaveChannel", ErrorCode.SYSTEM_CHANNEL): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.general)},
    ),
    ("inviteToChannel", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.room), "userId": uid(w.personas.eve)},
    ),
    ("inviteToChannel", ErrorCode.NOT_A_MEMBER): lambda w: (
        w.personas.alice,
        {"channelId": cid(w.room), "userId": uid(w.personas.alice)},
    ),
    ("inviteToChannel", ErrorCode.CHANNEL_ARCHIVED): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.attic), "userId": uid(w.personas.alice)},
    ),
    ("inviteToChannel", ErrorCode.INVALID_INPUT): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.room), "userId": uid(w.inactive)},
    ),
    ("markChannelRead", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.room), "upToMessageId": mid(w.elsewhere)},
    ),
    ("markChannelRead", ErrorCode.NOT_A_MEMBER): lambda w: (
        w.personas.alice,
        {"channelId": cid(w.room), "upToMessageId": mid(w.root)},
    ),
    ("postMessage", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.eve,
        {"channelId": cid(w.room), "body": "hi"},
    ),
    ("postMessage", ErrorCode.NOT_A_MEMBER): lambda w: (
        w.personas.alice,
        {"channelId": cid(w.room), "body": "hi"},
    ),
    ("postMessage", ErrorCode.CHANNEL_ARCHIVED): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.attic), "body": "hi"},
    ),
    ("postMessage", ErrorCode.THREAD_NOT_FOUND): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.room), "body": "hi", "threadId": mid(w.reply)},
    ),
    ("postMessage", ErrorCode.INVALID_INPUT): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.room), "body": "   "},
    ),
    ("setTyping", ErrorCode.NOT_FOUND): lambda w: (w.personas.eve, {"channelId": cid(w.room)}),
    ("setTyping", ErrorCode.NOT_A_MEMBER): lambda w: (w.personas.alice, {"channelId": cid(w.room)}),
    ("setTyping", ErrorCode.CHANNEL_ARCHIVED): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.attic)},
    ),
    ("setTyping", ErrorCode.THREAD_NOT_FOUND): lambda w: (
        w.personas.bob,
        {"channelId": cid(w.room), "threadId": mid(w.reply)},
    ),
    ("editMessage", ErrorCode.NOT_FOUND): lambda w: (
        w.personas.eve,
        {"messageId": mid(w.root), "body": "x"},
    ),
    ("editMessage", ErrorCode.VERSION_CONFLICT): lambda w: (
        w.personas.bob,
        {"messageId": mid(w.root), "body": "x", "expectedVersion": 7},
    ),
    ("editMessage", ErrorCode.MESSAGE_DELETED): lambda w: (
        w.personas.bob,
        {"messageId": mid(w.gone), "body": "x"},
    ),
    ("editMessage", ErrorCode.INVALID_INPUT): lambda w: (
        w.personas.bob,
        {"messageId": mid(w.root), "body": ""},
    ),
    ("editMessage", ErrorCode.CHANNEL_ARCHIVED): lambda w: (
        w.personas.bob,
        {"messageId": mid(w.stored), "body": "x"},
    ),
    ("deleteMessage", ErrorCode.NOT_FOUND): lambda w: (w.personas.eve, {"messageId": mid(w.root)}),
    ("deleteMessage", ErrorCode.CHANNEL_ARCHIVED): lambda w: (
        w.personas.bob,
        {"messageId": mid(w.stored)},
    ),
}
# Reactions fail the same way whether added or taken back.
for _name in ("addReaction", "removeReaction"):
    SCENARIOS.update(
        {
            (_name, ErrorCode.NOT_FOUND): lambda w: (
                w.personas.eve,
                {"messageId": mid(w.root), "emoji": "👍"},
            ),
            (_name, ErrorCode.NOT_A_MEMBER): lambda w: (
                w.personas.alice,
                {"messageId": mid(w.root), "emoji": "👍"},
            ),
            (_name, ErrorCode.CHANNEL_ARCHIVED): lambda w: (
                w.personas.bob,
                {"messageId": mid(w.stored), "emoji": "👍"},
            ),
            (_name, ErrorCode.MESSAGE_DELETED): lambda w: (
                w.personas.bob,
                {"messageId": mid(w.gone), "emoji": "👍"},
            ),
            (_name, ErrorCode.INVALID_EMOJI): lambda w: (
                w.personas.bob,
                {"messageId": mid(w.root), "emoji": "nope"},
            ),
        }
    )


def test_a_scenario_for_every_listed_code() -> None:
    listed = {(name, code) for name, codes in MUTATION_ERRORS.items() for code in codes}
    assert set(SCENARIOS) == listed


async def test_every_listed_code_is_returned(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Each scenario gets exactly its code in ``errors``, the clientMutationId echoed and no
    top-level error; none of them writes anything."""
    world = await build_world(services, personas)
    await login_all(gql, personas.alice, personas.bob, personas.eve)
    before = await snapshot(services)

    async def run(name: str, persona: Persona | None, input: dict[str, Any]) -> dict[str, Any]:
        field = _mutation_type().fields[name]
        input_type = str(field.args["input"].type)
        result = await gql.execute(
            f"mutation($input: {input_type}) {{ {name}(input: $input) "
            "{ clientMutationId errors { code field } } }",
            {"input": input},
            as_=persona,
        )
        assert not result.get("errors"), (name, result)
        return result["data"][name]  # type: ignore[no-any-return]

    wrong = []
    for (name, code), scenario in SCENARIOS.items():
        persona, input = scenario(world)
        payload = await run(name, persona, {**input, "clientMutationId": f"{name}-{code}"})
        got = [error["code"] for error in payload["errors"]]
        if got != [code.value] or payload["clientMutationId"] != f"{name}-{code}":
            wrong.append((name, code.value, payload))
    assert wrong == []
    assert await snapshot(services) == before


async def test_only_a_version_conflict_brings_the_current_message(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """editMessage returns the current message beside VERSION_CONFLICT (text and version to
    merge with); beside any other error `message` is null."""
    world = await build_world(services, personas)
    query = """mutation($input: EditMessageInput!) {
        editMessage(input: $input) { errors { code } message { id body version } }
    }"""
    stale = {"messageId": mid(world.root), "body": "mine", "expectedVersion": 7}
    result = await gql.execute(query, {"input": stale}, as_=personas.bob)
    assert result["data"]["editMessage"] == {
        "errors": [{"code": "VERSION_CONFLICT"}],
        "message": {"id": mid(world.root), "body": "root", "version": 1},
    }
    empty = {"messageId": mid(world.root), "body": " ", "expectedVersion": 7}
    result = await gql.execute(query, {"input": empty}, as_=personas.bob)
    assert result["data"]["editMessage"] == {"errors": [{"code": "INVALID_INPUT"}], "message": None}
