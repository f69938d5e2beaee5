"""The committed schema.graphql is the exported SDL of the code (docs/adr/0003-architecture.md)."""

from __future__ import annotations

from pathlib import Path

from workchat.graphql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_schema_file_matches_code() -> None:
    committed = SCHEMA_FILE.read_text()
    assert committed == schema.as_str() + "\n", (
        "schema.graphql is stale: run `workchat export-schema -o schema.graphql`"
    )


def test_contract_names_present() -> None:
    """Names of the API contract (docs/adr/0005-api-contract.md) that later features build on
    are present and spelled right."""
    sdl = schema.as_str()
    for name in (
        "node(id: ID!): Node",
        "viewer: User!",
        "org: Org!",
        "login(input: LoginInput!): LoginPayload!",
        "refreshToken(input: RefreshTokenInput!): LoginPayload!",
        "logout(input: LogoutInput!): LogoutPayload!",
        "errors: [UserError!]!",
        "clientMutationId: String",
    ):
        assert name in sdl
