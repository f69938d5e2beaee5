"""Apps with small rate limits, clients from chosen addresses, and a clock tests move."""

from __future__ import annotations

import dataclasses
import time
import types
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.support.graphql_client import GraphQLClient
from tests.support.settings import REDIS_URL
from workchat.app import create_app
from workchat.services import Services

# Where the counters live: process memory always; Redis when the run has one.
STORES = ["memory"] + (["redis"] if REDIS_URL else [])

LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } }
}"""


class Clock:
    """Stands in for ``time`` in the rate-limit code (ours and the ``limits`` package's):
    a window passes when a test says so, not after a sleep."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def install_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    import limits.aio.storage.memory
    import limits.aio.storage.redis.redispy

    import workchat.ratelimit.limiter

    clock = Clock()
    fake = types.SimpleNamespace(time=clock.time)
    for module in (
        limits.aio.storage.memory,
        limits.aio.storage.redis.redispy,
        workchat.ratelimit.limiter,
    ):
        monkeypatch.setattr(module, "time", fake)
    return clock


class LimitedApp:
    """One server process (its own Services) on the test's database, with given limits."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.app = create_app(services.settings, services)
        self._clients: list[httpx.AsyncClient] = []

    def client(self, address: str = "203.0.113.1") -> GraphQLClient:
        """A GraphQL client whose requests come from ``address`` (the TCP peer)."""
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(address, 40000)),
            base_url="http://testserver",
        )
        self._clients.append(http)
        return GraphQLClient(http)

    async def close(self) -> None:
        for http in self._clients:
            await http.aclose()
        await self.services.close()


def store_settings(store: str, prefix: str) -> dict[str, Any]:
    url = "memory://" if store == "memory" else str(REDIS_URL)
    return {"rate_limit_storage_url": url, "rate_limit_key_prefix": prefix}


@asynccontextmanager
async def limited_apps(
    services: Services, store: str, count: int = 1, **limits: Any
) -> AsyncIterator[list[LimitedApp]]:
    """``count`` app instances sharing the database and (with Redis) the rate-limit
    counters; a fresh key prefix keeps tests apart in a shared Redis."""
    shared = store_settings(store, f"test-{uuid.uuid4().hex}")
    settings = dataclasses.replace(services.settings, **shared, **limits)
    apps: list[LimitedApp] = []
    try:
        for _ in range(count):
            other = Services.create(settings)
            await other.start()
            apps.append(LimitedApp(other))
        yield apps
    finally:
        for app in apps:
            await app.close()


async def login(client: GraphQLClient, email: str, password: str) -> dict[str, Any]:
    return await client.execute(LOGIN, {"email": email, "password": password})


def rate_limited(result: dict[str, Any]) -> int:
    """The retryAfter of a RATE_LIMITED result (fails when the result is anything else)."""
    errors = result.get("errors") or []
    assert [e["extensions"]["code"] for e in errors] == ["RATE_LIMITED"], result
    retry_after = errors[0]["extensions"]["retryAfter"]
    assert isinstance(retry_after, int) and retry_after >= 1
    return retry_after
