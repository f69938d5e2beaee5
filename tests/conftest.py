"""Shared fixtures (DESIGN.md §10): a migrated database per test on every configured
backend, the personas alice (admin), bob (member) and eve (admin of another org), an HTTP
client and a live server for WebSocket tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from workchat.actions.orgs import create_org
from workchat.actions.users import create_user
from workchat.app import create_app
from workchat.auth.viewer import system
from workchat.db.migrate import upgrade
from workchat.db.models import AuditEntry, Event
from workchat.events.catalogue import DomainEvent
from workchat.events.log import CommittedEvent
from workchat.services import Services
from workchat.settings import Settings

POSTGRES_URL = os.environ.get("WORKCHAT_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("WORKCHAT_TEST_REDIS_URL")
# Per run, so concurrent runs on one server never drop each other's template.
TEMPLATE_DB = f"workchat_test_template_{os.getpid()}"
SECRET = "test-secret-key-that-is-long-enough-for-hs256-0123456789"
PASSWORD = "correct horse battery staple"

BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


def test_settings(data_dir: Path, **overrides: Any) -> Settings:
    values = {
        "env": "dev",
        "data_dir": data_dir,
        "secret_key": SECRET,
        # A cheap argon2 profile: tests only.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
        "create_demo_org": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _pg_url(database: str) -> str:
    assert POSTGRES_URL is not None
    base = POSTGRES_URL.rsplit("/", 1)[0]
    return f"{base}/{database}"


def _asyncpg_dsn(database: str) -> str:
    return _pg_url(database).replace("postgresql+asyncpg://", "postgresql://")


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL.rsplit("/", 1)[1]))  # type: ignore[union-attr]
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


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
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))
    asyncio.run(_pg_admin(f"CREATE DATABASE {TEMPLATE_DB}"))
    upgrade(_pg_url(TEMPLATE_DB))
    yield TEMPLATE_DB
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))


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
    await _pg_admin(f"CREATE DATABASE {name} TEMPLATE {db_template}")
    try:
        yield _pg_url(name)
    finally:
        await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return test_settings(tmp_path / "data", database_url=database_url)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    services = Services.create(settings)
    await services.start()
    try:
        yield services
    finally:
        await services.close()


@dataclass(frozen=True)
class Persona:
    name: str
    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    role: str
    password: str = PASSWORD


@dataclass(frozen=True)
class Personas:
    alice: Persona
    bob: Persona
    eve: Persona


@pytest.fixture
async def personas(services: Services) -> Personas:
    operator = system(operation="test-setup")
    acme = await create_org(services, operator, "Acme")
    evil = await create_org(services, operator, "Evil Corp")

    async def make(name: str, org_id: uuid.UUID, role: str) -> Persona:
        email = f"{name}@example.com"
        user = await create_user(
            services,
            operator,
            org_id=org_id,
            email=email,
            display_name=name.title(),
            password=PASSWORD,
            role=role,
        )
        return Persona(name, user.id, org_id, email, role)

    return Personas(
        alice=await make("alice", acme.id, "admin"),
        bob=await make("bob", acme.id, "member"),
        eve=await make("eve", evil.id, "admin"),
    )


@pytest.fixture
def app(services: Services) -> Any:
    return create_app(services.settings, services)


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
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


async def count_rows(services: Services, model: type, **where: Any) -> int:
    async with services.db.read_session() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(await session.scalar(query) or 0)


async def audit_entries(services: Services, org_id: uuid.UUID) -> list[AuditEntry]:
    async with services.db.read_session() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)
        )
        return list(rows)


async def events(services: Services, org_id: uuid.UUID) -> list[Event]:
    async with services.db.read_session() as session:
        rows = await session.scalars(
            select(Event).where(Event.org_id == org_id).order_by(Event.seq)
        )
        return list(rows)


def typed(row: Event) -> DomainEvent:
    """An event-log row read back as its typed event."""
    return CommittedEvent.from_row(row).event


@dataclass
class Snapshot:
    """Row counts of every table: 'nothing changed' means two snapshots are equal."""

    counts: dict[str, int]


async def snapshot(services: Services) -> Snapshot:
    from workchat.db.base import Base

    counts = {}
    async with services.db.read_session() as session:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = int(
                await session.scalar(select(func.count()).select_from(table)) or 0
            )
    return Snapshot(counts)
