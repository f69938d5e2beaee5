"""Every mutation in the schema writes exactly one audit entry and the events the mutation
catalogue lists when it succeeds, and nothing when it fails. The list comes from the schema,
so a new mutation without a case here (or a row in the catalogue) fails."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema

from tests.support.db import audit_entries, events, snapshot, typed
from tests.support.graphql_client import GraphQLClient
from tests.support.personas import Personas, as_user
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.actions.catalogue import MUTATION_CATALOGUE
from workchat.actions.tokens import create_api_token
from workchat.graphql.ids import to_global_id
from workchat.services import Services

SCHEMA = build_schema((Path(__file__).resolve().parents[3] / "schema.graphql").read_text())
MUTATIONS = sorted(SCHEMA.mutation_type.fields) if SCHEMA.mutation_type else []


@dataclass
class World:
    personas: Personas
    channel: str
    private: str
    lobby: str
    message: str
    bob_message: str
    api_token: str
    refresh_token: str
    bob_token: str


@pytest.fixture
async def world(services: Services, personas: Personas, gql: GraphQLClient) -> World:
    alice, bob = as_user(personas.alice), as_user(personas.bob)
    channel = await ch.create_channel(services, alice, name="dev")
    private = await ch.create_channel(services, alice, name="hush", is_private=True)
    lobby = await ch.create_channel(services, alice, name="lobby")
    await ch.join_channel(services, bob, channel.id)
    message = await msg.post_message(services, alice, channel_id=channel.id, body="hello")
    bob_message = await msg.post_message(services, bob, channel_id=channel.id, body="bob's")
    token = await create_api_token(
        services, alice, user_id=personas.bob.id, name="bot", scopes=["read"]
    )
    await gql.token_for(personas.alice)
    bob_login = await gql.login(personas.bob)
    return World(
        personas=personas,
        channel=to_global_id("Channel", channel.id),
        private=to_global_id("Channel", private.id),
        lobby=to_global_id("Channel", lobby.id),
        message=to_global_id("Message", message.id),
        bob_message=to_global_id("Message", bob_message.id),
        api_token=to_global_id("ApiToken", token.token.id),
        refresh_token=bob_login["refreshToken"],
        bob_token=bob_login["accessToken"],
    )


@dataclass(frozen=True)
class Case:
    action: str | None  # None: the mutation records nothing (setTyping)
    actor: str | None  # persona name recorded as actor; None when nobody is logged in
    succeed: Callable[[World], tuple[str, dict[str, Any]]]
    fail: Callable[[World], tuple[str, dict[str, Any]]]


def mutation(name: str, fields: str = "") -> str:
    input_type = f"{name[0].upper()}{name[1:]}Input"
    selection = f"errors {{ code }} {fields}"
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} }} }}"


BAD_ID = to_global_id("Message", uuid.UUID(int=7))
BAD_CHANNEL = to_global_id("Channel", uuid.UUID(int=7))
BAD_USER = to_global_id("User", uuid.UUID(int=7))


def user_id(world: World, name: str) -> str:
    return to_global_id("User", getattr(world.personas, name).id)


CASES: dict[str, Case] = {
    "login": Case(
        "auth.login",
        None,
        lambda w: (
            mutation("login"),
            {"email": "bob@example.com", "password": w.personas.bob.password},
        ),
        lambda w: (mutation("login"), {"email": "nobody@example.com", "password": "whatever12"}),
    ),
    "refreshToken": Case(
        "auth.refresh",
        None,
        lambda w: (mutation("refreshToken"), {"refreshToken": w.refresh_token}),
        lambda w: (mutation("refreshToken"), {"refreshToken": "wcr_forged"}),
    ),
    "logout": Case(
        "auth.logout",
        "bob",
        lambda w: (mutation("logout"), {}),
        lambda w: (mutation("logout"), {}),  # anonymous below: refused before any write
    ),
    "createUser": Case(
        "user.create",
        "alice",
        lambda w: (
            mutation("createUser"),
            {"email": "c@example.com", "displayName": "C", "password": "long enough"},
        ),
        lambda w: (
            mutation("createUser"),
            {"email": "bob@example.com", "displayName": "C", "password": "long enough"},
        ),
    ),
    "updateUserRole": Case(
        "user.role_change",
        "alice",
        lambda w: (mutation("updateUserRole"), {"userId": user_id(w, "bob"), "role": "ADMIN"}),
        lambda w: (mutation("updateUserRole"), {"userId": BAD_USER, "role": "ADMIN"}),
    ),
    "deactivateUser": Case(
        "user.deactivate",
        "alice",
        lambda w: (mutation("deactivateUser"), {"userId": user_id(w, "bob")}),
        lambda w: (mutation("deactivateUser"), {"userId": user_id(w, "alice")}),  # LAST_ADMIN
    ),
    "createApiToken": Case(
        "token.create",
        "alice",
        lambda w: (mutation("createApiToken"), {"userId": user_id(w, "bob"), "name": "ci"}),
        lambda w: (
            mutation("createApiToken"),
            {"userId": user_id(w, "bob"), "name": "ci", "scopes": ["root"]},
        ),
    ),
    "revokeApiToken": Case(
        "token.revoke",
        "alice",
        lambda w: (mutation("revokeApiToken"), {"tokenId": w.api_token}),
        lambda w: (mutation("revokeApiToken"), {"tokenId": BAD_ID}),
    ),
    "createChannel": Case(
        "channel.create",
        "alice",
        lambda w: (mutation("createChannel"), {"name": "new"}),
        lambda w: (mutation("createChannel"), {"name": "DEV"}),
    ),
    "updateChannel": Case(
        "channel.update",
        "alice",
        lambda w: (mutation("updateChannel"), {"channelId": w.channel, "description": "d"}),
        lambda w: (mutation("updateChannel"), {"channelId": w.channel, "name": "hush"}),
    ),
    "archiveChannel": Case(
        "channel.archive",
        "alice",
        lambda w: (mutation("archiveChannel"), {"channelId": w.channel}),
        lambda w: (mutation("archiveChannel"), {"channelId": BAD_CHANNEL}),
    ),
    "joinChannel": Case(
        "channel.join",
        "bob",
        lambda w: (mutation("joinChannel"), {"channelId": w.lobby}),
        lambda w: (mutation("joinChannel"), {"channelId": w.private}),  # invisible to bob
    ),
    "leaveChannel": Case(
        "channel.leave",
        "alice",
        lambda w: (mutation("leaveChannel"), {"channelId": w.channel}),
        lambda w: (mutation("leaveChannel"), {"channelId": BAD_CHANNEL}),
    ),
    "inviteToChannel": Case(
        "channel.invite",
        "alice",
        lambda w: (
            mutation("inviteToChannel"),
            {"channelId": w.private, "userId": user_id(w, "bob")},
        ),
        lambda w: (
            mutation("inviteToChannel"),
            {"channelId": w.private, "userId": user_id(w, "eve")},
        ),
    ),
    "markChannelRead": Case(
        "read.mark",
        "alice",
        lambda w: (
            mutation("markChannelRead"),
            {"channelId": w.channel, "upToMessageId": w.bob_message},
        ),
        lambda w: (mutation("markChannelRead"), {"channelId": w.channel, "upToMessageId": BAD_ID}),
    ),
    "setTyping": Case(
        None,
        "alice",
        lambda w: (mutation("setTyping"), {"channelId": w.channel}),
        lambda w: (mutation("setTyping"), {"channelId": BAD_CHANNEL}),
    ),
    "postMessage": Case(
        "message.post",
        "alice",
        lambda w: (mutation("postMessage"), {"channelId": w.channel, "body": "hi"}),
        lambda w: (mutation("postMessage"), {"channelId": w.channel, "body": " "}),
    ),
    "editMessage": Case(
        "message.edit",
        "alice",
        lambda w: (mutation("editMessage"), {"messageId": w.message, "body": "v2"}),
        lambda w: (
            mutation("editMessage"),
            {"messageId": w.message, "body": "v2", "expectedVersion": 9},
        ),
    ),
    "deleteMessage": Case(
        "message.delete",
        "alice",
        lambda w: (mutation("deleteMessage"), {"messageId": w.message}),
        lambda w: (mutation("deleteMessage"), {"messageId": BAD_ID}),
    ),
    "addReaction": Case(
        "reaction.add",
        "alice",
        lambda w: (mutation("addReaction"), {"messageId": w.message, "emoji": "👍"}),
        lambda w: (mutation("addReaction"), {"messageId": w.message, "emoji": "thumbs"}),
    ),
    "removeReaction": Case(
        "reaction.remove",
        "alice",
        lambda w: (mutation("removeReaction"), {"messageId": w.message, "emoji": "👍"}),
        lambda w: (mutation("removeReaction"), {"messageId": w.message, "emoji": "thumbs"}),
    ),
}

# Preconditions some successes need (e.g. something to remove first).
SETUP: dict[str, Callable[[Services, World], Awaitable[None]]] = {}


async def _react_first(services: Services, world: World) -> None:
    from workchat.actions.reactions import add_reaction
    from workchat.graphql.ids import decode_id

    message_id = decode_id(world.message, "Message")
    assert message_id is not None
    await add_reaction(services, as_user(world.personas.alice), message_id, "👍")


SETUP["removeReaction"] = _react_first


def test_every_mutation_has_a_case() -> None:
    missing = sorted(set(MUTATIONS) - set(CASES))
    assert not missing, f"add audit cases for: {missing}"


def test_the_catalogue_names_every_mutation_and_its_audit_action() -> None:
    assert set(MUTATION_CATALOGUE) == set(MUTATIONS)
    assert {name: record.audit_action for name, record in MUTATION_CATALOGUE.items()} == {
        name: CASES[name].action for name in MUTATIONS
    }


async def _token(gql: GraphQLClient, world: World, case: Case) -> str | None:
    if case.actor is None:
        return None
    if case.actor == "bob":
        return world.bob_token
    return await gql.token_for(getattr(world.personas, case.actor))


@pytest.mark.parametrize("name", MUTATIONS)
async def test_success_writes_exactly_one_entry(
    name: str, services: Services, world: World, gql: GraphQLClient
) -> None:
    case = CASES[name]
    if name in SETUP:
        await SETUP[name](services, world)
    org_id = world.personas.alice.org_id
    before = await audit_entries(services, org_id)
    events_before = len(await events(services, org_id))
    query, variables = case.succeed(world)
    result = await gql.execute(query, {"input": variables}, token=await _token(gql, world, case))
    assert "errors" not in result, result
    assert result["data"][name]["errors"] == []
    after = await audit_entries(services, org_id)
    if case.action is None:  # live only: neither an audit entry nor an event
        assert len(after) == len(before)
        assert len(await events(services, org_id)) == events_before
        return
    assert len(after) == len(before) + 1
    entry = after[-1]
    assert (entry.action, entry.via, entry.operation) == (case.action, "graphql", name)
    # Exactly the catalogue's events, in order, each readable as its typed event.
    expected = MUTATION_CATALOGUE[name].events
    written = (await events(services, org_id))[events_before:]
    assert [row.type for row in written] == [cls.type for cls in expected]
    assert [type(typed(row)) for row in written] == list(expected)
    expected_actor = getattr(world.personas, case.actor).id if case.actor else None
    assert entry.actor_id == expected_actor
    assert entry.request_id
    assert isinstance(entry.diff, dict)
    assert set(entry.diff) == {"patch", "before", "after"}


@pytest.mark.parametrize("name", MUTATIONS)
async def test_failure_writes_nothing(
    name: str, services: Services, world: World, gql: GraphQLClient
) -> None:
    case = CASES[name]
    before = await snapshot(services)
    org_id = world.personas.alice.org_id
    events_before = [row.seq for row in await events(services, org_id)]
    query, variables = case.fail(world)
    token = None if name == "logout" else await _token(gql, world, case)
    result = await gql.execute(query, {"input": variables}, token=token)
    payload = (result.get("data") or {}).get(name)
    refused = bool(result.get("errors")) or bool(payload and payload["errors"])
    assert refused, result
    assert await snapshot(services) == before
    assert [row.seq for row in await events(services, org_id)] == events_before
