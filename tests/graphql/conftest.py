"""GraphQL test helpers: coded top-level errors, global IDs, and apps built with other settings."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from workchat.app import create_app
from workchat.graphql.ids import to_global_id
from workchat.services import Services

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


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


@pytest.fixture
async def client_with(services: Services) -> AsyncIterator[ClientFactory]:
    """Build an HTTP client for an app whose settings differ (e.g. ``env="prod"``).

    The app gets its own ``Services`` on the same database, so settings read by the view
    (GraphiQL, field suggestions, limits) all agree.
    """
    opened: list[tuple[httpx.AsyncClient, Services]] = []

    async def make(**overrides: Any) -> httpx.AsyncClient:
        settings = dataclasses.replace(services.settings, **overrides)
        other = Services.create(settings)
        await other.start()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, other)),
            base_url="http://testserver",
        )
        opened.append((client, other))
        return client

    yield make
    for client, other in opened:
        await client.aclose()
        await other.close()
