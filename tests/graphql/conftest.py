"""GraphQL fixtures: apps built with other settings."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.graphql_client import ClientFactory
from workchat.app import create_app
from workchat.services import Services


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
