"""The committed schema.graphql is the exported SDL of the code (docs/adr/0003-architecture.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from graphql import Node, Visitor, parse, print_ast, visit

from workchat.graphql.schema import schema


class _DropDescriptions(Visitor):
    def enter(self, node: Node, *_: Any) -> Node | None:
        if getattr(node, "description", None) is not None:
            return dataclasses.replace(node, description=None)  # type: ignore[call-arg]
        return None


def without_descriptions(sdl: str) -> str:
    """The SDL as printed without descriptions: each field on one line, arguments inline."""
    return print_ast(visit(parse(sdl, no_location=True), _DropDescriptions()))


SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_schema_file_matches_code() -> None:
    committed = SCHEMA_FILE.read_text()
    assert committed == schema.as_str() + "\n", (
        "schema.graphql is stale: run `workchat export-schema -o schema.graphql`"
    )


def test_contract_names_present() -> None:
    """Names of the API contract (docs/adr/0005-api-contract.md) that later features build on
    are present and spelled right."""
    sdl = without_descriptions(schema.as_str())
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
