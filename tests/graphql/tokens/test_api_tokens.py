"""API tokens over GraphQL: created by an admin for a user, shown once and stored hashed,
scoped (read, write, admin) and revocable with immediate effect."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from tests.support.auth import (
    CREATE_TOKEN,
    CREATE_USER,
    REVOKE_TOKEN,
    actions,
    assert_authenticated_as,
    assert_unauthenticated,
)
from tests.support.db import audit_entries, count_rows, events, snapshot
from tests.support.graphql_client import GraphQLClient, codes, gid, payload_errors
from tests.support.personas import Persona, Personas
from tests.support.settings import PASSWORD
from workchat.db.models import ApiToken, AuditEntry
from workchat.services import Services


async def create_token(
    gql: GraphQLClient, admin: Persona, user: Persona, scopes: list[str] | None = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {"userId": gid("User", user.id), "name": "ci-bot"}
    if scopes is not None:
        variables["scopes"] = scopes
    result = await gql.execute(CREATE_TOKEN, {"input": variables}, as_=admin)
    assert payload_errors(result, "createApiToken") == []
    return result["data"]["createApiToken"]  # type: ignore[no-any-return]


async def test_api_token_works_as_bearer(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """An admin creates a token for a member: default scopes read+write, the secret is shown
    once, stored only hashed, audited without the secret, and authenticates as the member."""
    created = await create_token(gql, personas.alice, personas.bob)
    assert created["apiToken"]["scopes"] == ["read", "write"]
    assert created["apiToken"]["user"] == {"email": personas.bob.email}
    secret = created["token"]
    assert secret
    async with services.db.read_session() as session:
        [row] = list(await session.scalars(select(ApiToken)))
    assert row.token_hash != secret and secret not in row.token_hash
    [entry] = [
        e
        for e in await audit_entries(services, personas.alice.org_id)
        if e.action == "token.create"
    ]
    assert entry.actor_id == personas.alice.id
    assert secret not in json.dumps(entry.diff)
    await assert_authenticated_as(gql, secret, personas.bob)


async def test_admin_token_without_admin_scope_is_not_admin(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """An admin's token with the default scopes (read, write) may not run admin mutations."""
    secret = (await create_token(gql, personas.alice, personas.alice))["token"]
    before = await snapshot(services)
    result = await gql.execute(
        CREATE_USER,
        {"input": {"email": "x@example.com", "displayName": "X", "password": PASSWORD}},
        token=secret,
    )
    assert codes(result) == ["FORBIDDEN"]
    assert await snapshot(services) == before


async def test_token_without_write_scope_cannot_write(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A read+admin token reads, but a write (createUser) is FORBIDDEN and writes nothing;
    the same call with the write scope succeeds."""
    read_only = (await create_token(gql, personas.alice, personas.alice, ["read", "admin"]))[
        "token"
    ]
    await assert_authenticated_as(gql, read_only, personas.alice)
    variables = {"input": {"email": "x@example.com", "displayName": "X", "password": PASSWORD}}
    before = await snapshot(services)
    result = await gql.execute(CREATE_USER, variables, token=read_only)
    assert codes(result) == ["FORBIDDEN"]
    assert await snapshot(services) == before

    writer = (await create_token(gql, personas.alice, personas.alice, ["read", "write", "admin"]))[
        "token"
    ]
    result = await gql.execute(CREATE_USER, variables, token=writer)
    assert payload_errors(result, "createUser") == []


async def test_member_token_cannot_carry_admin_scope(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """The admin scope is only for an admin's token: INVALID_INPUT on scopes, nothing written."""
    await gql.token_for(personas.alice)
    before = await snapshot(services)
    result = await gql.execute(
        CREATE_TOKEN,
        {"input": {"userId": gid("User", personas.bob.id), "name": "x", "scopes": ["admin"]}},
        as_=personas.alice,
    )
    errors = payload_errors(result, "createApiToken")
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", "scopes")]
    assert result["data"]["createApiToken"]["token"] is None
    assert await snapshot(services) == before


async def test_revoked_api_token_stops_working(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """revokeApiToken takes effect on the very next request, and is audited with an event."""
    created = await create_token(gql, personas.alice, personas.bob)
    await assert_authenticated_as(gql, created["token"], personas.bob)
    result = await gql.execute(REVOKE_TOKEN, {"id": created["apiToken"]["id"]}, as_=personas.alice)
    assert payload_errors(result, "revokeApiToken") == []
    assert result["data"]["revokeApiToken"]["apiToken"]["revokedAt"] is not None
    await assert_unauthenticated(gql, created["token"])
    assert "token.revoke" in await actions(services, personas.alice)
    assert "api_token.revoked" in [e.type for e in await events(services, personas.alice.org_id)]
    assert await count_rows(services, AuditEntry, action="token.revoke") == 1
