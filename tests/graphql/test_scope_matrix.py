"""Which token scopes may run which mutation, as one table (workchat/actions/catalogue.py).

Every mutation of the schema runs once with an API token of each combination of scopes,
owned by Alice (an admin, so her role never refuses). The input names nothing that exists,
so a mutation that the token may run answers with its usual payload error and changes
nothing; a token lacking a declared scope gets a top-level FORBIDDEN and changes nothing.
A mutation added to the schema without a declared scope, or without a row here, fails.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.db import count_rows, snapshot
from tests.support.graphql_client import GraphQLClient, codes, gid
from tests.support.personas import Personas
from workchat.actions.catalogue import MUTATION_CATALOGUE, required_scopes
from workchat.actions.tokens import create_api_token
from workchat.auth.viewer import ALL_SCOPES, SCOPE_ADMIN, SCOPE_READ, SCOPE_WRITE, system
from workchat.db.models import RefreshToken
from workchat.graphql.schema import schema
from workchat.services import Services

SCHEMA = schema._schema
MUTATIONS = sorted(SCHEMA.mutation_type.fields) if SCHEMA.mutation_type else []

# Every non-empty combination of scopes a token can be created with.
TOKEN_SCOPES = [
    frozenset(combo)
    for size in (1, 2, 3)
    for combo in itertools.combinations(sorted(ALL_SCOPES), size)
]


def _nothing(type_name: str) -> str:
    return gid(type_name, uuid.uuid4())


# mutation -> (input, the payload error code it answers when the token may run it; None: none)
CASES: dict[str, tuple[Callable[[], dict[str, Any]], str | None]] = {
    "login": (
        lambda: {"email": "nobody@example.com", "password": "wrong password"},
        "INVALID_CREDENTIALS",
    ),
    "refreshToken": (lambda: {"refreshToken": "not-a-token"}, "INVALID_TOKEN"),
    "logout": (lambda: {"allSessions": True}, None),
    "createApiToken": (lambda: {"userId": _nothing("User"), "name": "bot"}, "NOT_FOUND"),
    "revokeApiToken": (lambda: {"tokenId": _nothing("ApiToken")}, "NOT_FOUND"),
    "createUser": (
        lambda: {"email": "not an address", "displayName": "X", "password": "long enough pw"},
        "INVALID_INPUT",
    ),
    "updateUserRole": (lambda: {"userId": _nothing("User"), "role": "MEMBER"}, "NOT_FOUND"),
    "deactivateUser": (lambda: {"userId": _nothing("User")}, "NOT_FOUND"),
    "createChannel": (lambda: {"name": " "}, "INVALID_INPUT"),
    "updateChannel": (lambda: {"channelId": _nothing("Channel"), "description": "d"}, "NOT_FOUND"),
    "archiveChannel": (lambda: {"channelId": _nothing("Channel")}, "NOT_FOUND"),
    "joinChannel": (lambda: {"channelId": _nothing("Channel")}, "NOT_FOUND"),
    "leaveChannel": (lambda: {"channelId": _nothing("Channel")}, "NOT_FOUND"),
    "inviteToChannel": (
        lambda: {"channelId": _nothing("Channel"), "userId": _nothing("User")},
        "NOT_FOUND",
    ),
    "markChannelRead": (
        lambda: {"channelId": _nothing("Channel"), "upToMessageId": _nothing("Message")},
        "NOT_FOUND",
    ),
    "setTyping": (lambda: {"channelId": _nothing("Channel")}, "NOT_FOUND"),
    "postMessage": (lambda: {"channelId": _nothing("Channel"), "body": "hi"}, "NOT_FOUND"),
    "editMessage": (lambda: {"messageId": _nothing("Message"), "body": "hi"}, "NOT_FOUND"),
    "deleteMessage": (lambda: {"messageId": _nothing("Message")}, "NOT_FOUND"),
    "addReaction": (lambda: {"messageId": _nothing("Message"), "emoji": "👍"}, "NOT_FOUND"),
    "removeReaction": (lambda: {"messageId": _nothing("Message"), "emoji": "👍"}, "NOT_FOUND"),
}

EXPECTED_SCOPES = {
    "login": frozenset(),
    "refreshToken": frozenset(),
    **{
        name: frozenset({SCOPE_WRITE, SCOPE_ADMIN})
        for name in (
            "createApiToken",
            "revokeApiToken",
            "createUser",
            "updateUserRole",
            "deactivateUser",
        )
    },
}


def _document(mutation: str) -> str:
    input_type = mutation[0].upper() + mutation[1:] + "Input"
    return (
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ errors {{ code }} }} }}"
    )


def test_every_mutation_declares_its_scopes_and_has_a_row() -> None:
    """A new mutation must declare its scopes in the catalogue and get a row here; the
    declared scopes are the ones this table expects (write for every change, admin too
    for the admin mutations, none for the two anonymous ones)."""
    assert set(MUTATION_CATALOGUE) == set(MUTATIONS)
    assert set(CASES) == set(MUTATIONS)
    for name in MUTATIONS:
        assert required_scopes(name) <= ALL_SCOPES
        assert required_scopes(name) == EXPECTED_SCOPES.get(name, frozenset({SCOPE_WRITE})), name
    assert required_scopes("aMutationNobodyDeclared") == ALL_SCOPES


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_scope_matrix(
    gql: GraphQLClient, services: Services, personas: Personas, mutation: str
) -> None:
    """One mutation with a token of each scope combination."""
    make_input, answer = CASES[mutation]
    required = required_scopes(mutation)
    for granted in TOKEN_SCOPES:
        created = await create_api_token(
            services,
            system(),
            user_id=personas.alice.id,
            name="-".join(sorted(granted)),
            scopes=sorted(granted),
        )
        before = await snapshot(services)
        result = await gql.execute(
            _document(mutation), {"input": make_input()}, token=created.secret
        )
        label = f"{mutation} with {sorted(granted)}: {result}"
        if required <= granted:
            assert not result.get("errors"), label
            got = [error["code"] for error in result["data"][mutation]["errors"]]
            assert got == ([answer] if answer else []), label
        else:
            assert codes(result) == ["FORBIDDEN"], label
            assert result["data"] is None, label
            assert await snapshot(services) == before, label


async def test_read_only_token_cannot_end_sessions(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """The reported case: a read token's logout(allSessions: true) is FORBIDDEN and every
    session of its user stays alive."""
    await gql.login(personas.bob)
    await gql.login(personas.bob)
    created = await create_api_token(
        services, system(), user_id=personas.bob.id, name="reader", scopes=[SCOPE_READ]
    )
    live = await count_rows(services, RefreshToken, user_id=personas.bob.id, revoked_at=None)
    assert live == 2
    result = await gql.execute(
        "mutation { logout(input: {allSessions: true}) { sessionsEnded } }",
        token=created.secret,
    )
    assert codes(result) == ["FORBIDDEN"] and result["data"] is None
    assert await count_rows(services, RefreshToken, user_id=personas.bob.id, revoked_at=None) == 2
