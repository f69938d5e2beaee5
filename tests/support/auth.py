"""Checking who a bearer token authenticates as, and the admin mutations that authorization
tests call (minimal selections; the users and tokens tests select more)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.support.db import audit_entries
from tests.support.graphql_client import GraphQLClient, codes
from tests.support.personas import Persona
from workchat.db.models import RefreshToken
from workchat.services import Services

VIEWER = "{ viewer { id email } }"
CREATE_TOKEN = """mutation($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
        token errors { code message field } apiToken { id name scopes user { email } }
    }
}"""
REVOKE_TOKEN = """mutation($id: ID!) {
    revokeApiToken(input: {tokenId: $id}) { errors { code } apiToken { id revokedAt } }
}"""
CREATE_USER = """mutation($input: CreateUserInput!) {
    createUser(input: $input) { errors { code field } user { id } }
}"""
UPDATE_ROLE = """mutation($id: ID!, $role: Role!) {
    updateUserRole(input: {userId: $id, role: $role}) { errors { code } user { role } }
}"""
DEACTIVATE = """mutation($id: ID!) {
    deactivateUser(input: {userId: $id}) { errors { code } user { isActive } }
}"""


async def assert_unauthenticated(gql: GraphQLClient, token: str) -> None:
    result = await gql.execute(VIEWER, token=token)
    assert result["data"] is None
    assert codes(result) == ["UNAUTHENTICATED"]


async def assert_authenticated_as(gql: GraphQLClient, token: str, persona: Persona) -> None:
    result = await gql.execute(VIEWER, token=token)
    assert not result.get("errors"), result
    assert result["data"]["viewer"]["email"] == persona.email


async def actions(services: Services, persona: Persona) -> list[str]:
    return [entry.action for entry in await audit_entries(services, persona.org_id)]


async def outlive_refresh_grace(services: Services) -> None:
    """Move every rotation back past the reuse grace, as if that much time had passed
    (tests never wait on the clock)."""
    grace = timedelta(seconds=services.settings.refresh_reuse_grace_seconds + 1)
    async with services.db.write_session() as session, session.begin():
        rows = await session.scalars(
            select(RefreshToken).where(RefreshToken.revoked_at.is_not(None))
        )
        for row in rows:
            assert row.revoked_at is not None
            row.revoked_at -= grace
