"""Org isolation: another org's objects are indistinguishable from missing ones
(docs/adr/0005-api-contract.md)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.db import snapshot
from tests.support.graphql_client import GraphQLClient, codes, gid
from tests.support.personas import Personas
from tests.support.settings import PASSWORD
from workchat.actions.tokens import create_api_token
from workchat.auth.viewer import system
from workchat.services import Services

NODE = """query($id: ID!) {
    node(id: $id) {
        __typename id
        ... on User { email }
        ... on Org { name }
        ... on ApiToken { name }
    }
}"""


async def test_eve_sees_only_her_org(gql: GraphQLClient, personas: Personas) -> None:
    """`org` and `users` are scoped to the viewer's org."""
    result = await gql.execute(
        "{ org { id name } users { totalCount edges { node { email org { name } } } } }",
        as_=personas.eve,
    )
    assert not result.get("errors"), result
    assert result["data"]["org"] == {"id": gid("Org", personas.eve.org_id), "name": "Evil Corp"}
    users = result["data"]["users"]
    assert users["totalCount"] == 1
    assert [edge["node"] for edge in users["edges"]] == [
        {"email": personas.eve.email, "org": {"name": "Evil Corp"}}
    ]


async def test_users_query_filter_cannot_reach_another_org(
    gql: GraphQLClient, personas: Personas
) -> None:
    """Searching for another org's user by name or email finds nothing."""
    for term in ("alice", "example.com", "Acme"):
        result = await gql.execute(
            "query($q: String) { users(query: $q) { edges { node { email } } } }",
            {"q": term},
            as_=personas.eve,
        )
        emails = [edge["node"]["email"] for edge in result["data"]["users"]["edges"]]
        assert personas.alice.email not in emails and personas.bob.email not in emails


async def test_node_of_another_org_is_null_like_a_missing_one(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """node(id:) with an Acme user, org or API token ID answers exactly like a random or
    garbage ID: null, no error."""
    token = await create_api_token(
        services, system(), user_id=personas.alice.id, name="acme-bot", scopes=["read"]
    )
    foreign = [
        gid("User", personas.alice.id),
        gid("User", personas.bob.id),
        gid("Org", personas.alice.org_id),
        gid("ApiToken", token.token.id),
    ]
    missing = [
        gid("User", uuid.uuid4()),
        gid("Org", uuid.uuid4()),
        gid("ApiToken", uuid.uuid4()),
        "garbage",
        "",
    ]
    expected = {"data": {"node": None}}
    for id_ in foreign + missing:
        assert await gql.execute(NODE, {"id": id_}, as_=personas.eve) == expected, id_

    # Control: the same IDs resolve for an Acme admin, so the nulls above are isolation.
    for id_ in foreign:
        result = await gql.execute(NODE, {"id": id_}, as_=personas.alice)
        assert result["data"]["node"] is not None, id_
        assert result["data"]["node"]["id"] == id_


async def test_member_cannot_see_api_tokens_via_node(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """API tokens are admin-only objects: a member of the same org gets null."""
    token = await create_api_token(
        services, system(), user_id=personas.bob.id, name="bob-bot", scopes=["read"]
    )
    result = await gql.execute(NODE, {"id": gid("ApiToken", token.token.id)}, as_=personas.bob)
    assert result == {"data": {"node": None}}


UPDATE_ROLE = """mutation($id: ID!) {
    updateUserRole(input: {userId: $id, role: MEMBER, clientMutationId: "m1"}) {
        clientMutationId errors { code message field } user { id role }
    }
}"""
DEACTIVATE = """mutation($id: ID!) {
    deactivateUser(input: {userId: $id, clientMutationId: "m1"}) {
        clientMutationId errors { code message field } user { id isActive }
    }
}"""
CREATE_TOKEN = """mutation($id: ID!) {
    createApiToken(input: {userId: $id, name: "steal", clientMutationId: "m1"}) {
        clientMutationId errors { code message field } token apiToken { id }
    }
}"""
REVOKE_TOKEN = """mutation($id: ID!) {
    revokeApiToken(input: {tokenId: $id, clientMutationId: "m1"}) {
        clientMutationId errors { code message field } apiToken { id revokedAt }
    }
}"""


@pytest.mark.parametrize(
    ("mutation", "query", "type_name"),
    [
        ("updateUserRole", UPDATE_ROLE, "User"),
        ("deactivateUser", DEACTIVATE, "User"),
        ("createApiToken", CREATE_TOKEN, "User"),
        ("revokeApiToken", REVOKE_TOKEN, "ApiToken"),
    ],
)
async def test_admin_mutations_on_another_org_are_not_found(
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    mutation: str,
    query: str,
    type_name: str,
) -> None:
    """Eve's admin mutations aimed at Acme get NOT_FOUND, the very payload a random ID gets,
    and change nothing."""
    token = await create_api_token(
        services, system(), user_id=personas.alice.id, name="acme-bot", scopes=["read"]
    )
    target = personas.alice.id if type_name == "User" else token.token.id
    await gql.token_for(personas.eve)
    before = await snapshot(services)

    foreign = await gql.execute(query, {"id": gid(type_name, target)}, as_=personas.eve)
    random = await gql.execute(query, {"id": gid(type_name, uuid.uuid4())}, as_=personas.eve)

    assert not foreign.get("errors"), foreign
    payload: dict[str, Any] = foreign["data"][mutation]
    assert [error["code"] for error in payload["errors"]] == ["NOT_FOUND"]
    assert payload["clientMutationId"] == "m1"
    assert foreign == random
    assert await snapshot(services) == before


async def test_eve_cannot_create_users_in_acme_via_ids(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """createUser always targets the viewer's org: Eve's new user lands in Evil Corp."""
    result = await gql.execute(
        """mutation($input: CreateUserInput!) {
            createUser(input: $input) { errors { code } user { org { name } } }
        }""",
        {"input": {"email": "mallory@example.com", "displayName": "Mallory", "password": PASSWORD}},
        as_=personas.eve,
    )
    assert result["data"]["createUser"] == {"errors": [], "user": {"org": {"name": "Evil Corp"}}}
    acme = await gql.execute("{ users { edges { node { email } } } }", as_=personas.alice)
    emails = [edge["node"]["email"] for edge in acme["data"]["users"]["edges"]]
    assert "mallory@example.com" not in emails


async def test_anonymous_admin_mutation_is_unauthenticated(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Without a credential an admin mutation is UNAUTHENTICATED (not NOT_FOUND) and writes
    nothing."""
    before = await snapshot(services)
    result = await gql.execute(DEACTIVATE, {"id": gid("User", personas.alice.id)})
    assert codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] is None
    assert await snapshot(services) == before
