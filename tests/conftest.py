"""Shared fixtures: a migrated database per test on every configured backend, the personas
alice (admin), bob (member) and eve (admin of another org), an HTTP client and a live server
for WebSocket tests. Helpers that tests import live in ``tests/support/``."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.graphql_client import GraphQLClient
from tests.support.personas import Personas, create_personas
from tests.support.postgres import TEMPLATE_DB, pg_admin, pg_url
from tests.support.server import serve
from tests.support.settings import BACKENDS, POSTGRES_URL, test_settings
from workchat.app import create_app
from workchat.db.migrate import upgrade
from workchat.services import Services
from workchat.settings import Settings


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; every test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("WORKCHAT_TEST_POSTGRES_URL is not set")
    asyncio.run(pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))
    asyncio.run(pg_admin(f"CREATE DATABASE {TEMPLATE_DB}"))
    upgrade(pg_url(TEMPLATE_DB))
    yield TEMPLATE_DB
    asyncio.run(pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_template(backend: str, request: pytest.FixtureRequest) -> Path | str:
    # Resolved in a sync fixture: the session templates run their own event loop.
    return request.getfixturevalue(f"{backend}_template")  # type: ignore[no-any-return]


@pytest.fixture
async def database_url(backend: str, db_template: Path | str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        path = tmp_path / "workchat.db"
        shutil.copyfile(db_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"workchat_test_{uuid.uuid4().hex[:12]}"
    await pg_admin(f"CREATE DATABASE {name} TEMPLATE {db_template}")
    try:
        yield pg_url(name)
    finally:
        await pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return test_settings(tmp_path / "data", database_url=database_url)


@asynccontextmanager
async def running_services(settings: Settings) -> AsyncIterator[Services]:
    services = Services.create(settings)
    await services.start()
    try:
        yield services
    finally:
        await services.close()


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with running_services(settings) as services:
        yield services


@pytest.fixture
async def second_services(settings: Settings) -> AsyncIterator[Services]:
    """Another process's services on the same database (its own engine and pool)."""
    async with running_services(settings) as other:
        yield other


@pytest.fixture
async def personas(services: Services) -> Personas:
    return await create_personas(services)


@pytest.fixture
def app(services: Services) -> Any:
    return create_app(services.settings, services)


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
async def live_server(app: Any) -> AsyncIterator[str]:
    """A real uvicorn server on a free loopback port, in the test's event loop."""
    async with serve(app) as address:
        yield address
