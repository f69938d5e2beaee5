"""The in-process GraphQL client the tests talk to, and readers of what it returns."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.support.personas import Persona
from workchat.graphql.ids import to_global_id

# Builds an HTTP client for an app with other settings (the ``client_with`` fixture).
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


class GraphQLClient:
    """POSTs GraphQL over an in-process HTTP client; logs personas in on demand."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self._tokens: dict[str, str] = {}

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        as_: Persona | None = None,
    ) -> dict[str, Any]:
        headers = {}
        if as_ is not None:
            token = await self.token_for(as_)
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def login(self, persona: Persona) -> dict[str, Any]:
        result = await self.execute(
            """mutation($email: String!, $password: String!) {
                login(input: {email: $email, password: $password}) {
                    accessToken refreshToken errors { code message field }
                    user { id email role }
                }
            }""",
            {"email": persona.email, "password": persona.password},
        )
        payload = result["data"]["login"]
        assert payload["errors"] == [], payload
        return payload  # type: ignore[no-any-return]

    async def token_for(self, persona: Persona) -> str:
        if persona.name not in self._tokens:
            self._tokens[persona.name] = (await self.login(persona))["accessToken"]
        return self._tokens[persona.name]


def codes(result: dict[str, Any]) -> list[str]:
    """The ``extensions.code`` of every top-level error (empty when there are none)."""
    return [error["extensions"]["code"] for error in result.get("errors") or []]


def payload_errors(result: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """The ``errors`` list of a mutation payload, after checking there is no top-level error."""
    assert not result.get("errors"), result
    return result["data"][field]["errors"]  # type: ignore[no-any-return]


def gid(type_name: str, id_: uuid.UUID) -> str:
    """The Relay global ID a client would see for a database id."""
    return str(to_global_id(type_name, id_))
