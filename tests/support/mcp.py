"""MCP tests: API tokens for personas, an in-memory MCP client acting as one, calling tools
and reading their structured results or ``CODE: message`` errors."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from tests.support.personas import Persona, as_user
from tests.support.settings import SECRET
from workchat.actions.tokens import create_api_token, revoke_api_token
from workchat.auth.viewer import ALL_SCOPES, SCOPE_ADMIN
from workchat.graphql.schema import create_schema
from workchat.mcp.executor import LocalExecutor
from workchat.mcp.server import create_server
from workchat.services import Services

REPO = Path(__file__).resolve().parents[2]
READ_WRITE = ["read", "write"]


async def api_token(
    services: Services, admin: Persona, user: Persona, *, scopes: list[str] | None = None
) -> str:
    """A new API token for ``user``, created by ``admin`` of the same org."""
    created = await create_api_token(
        services,
        as_user(admin, scopes=ALL_SCOPES if admin.role == "admin" else ALL_SCOPES - {SCOPE_ADMIN}),
        user_id=user.id,
        name=f"agent of {user.name}",
        scopes=scopes or READ_WRITE,
    )
    return created.secret


async def revoke(services: Services, admin: Persona, token: str) -> None:
    from sqlalchemy import select

    from workchat.auth.secrets import token_hash
    from workchat.db.models import ApiToken

    async with services.db.read_session() as session:
        token_id = await session.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == token_hash(token))
        )
    assert token_id is not None
    await revoke_api_token(services, as_user(admin), token_id)


@asynccontextmanager
async def agent(services: Services, token: str | None) -> AsyncIterator[Client[Any]]:
    """An MCP client connected in memory to a server whose tools act with ``token``."""
    executor = LocalExecutor(services, create_schema(services.settings), lambda: token)
    async with Client(create_server(executor)) as client:
        yield client


async def call(client: Client[Any], tool: str, **arguments: Any) -> dict[str, Any]:
    """The tool's structured result; fails the test on a tool error."""
    result = await client.call_tool(tool, arguments, raise_on_error=False)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict), result
    return result.structured_content


async def error(client: Client[Any], tool: str, **arguments: Any) -> str:
    """The tool error's text (``CODE: message``); fails the test if the call succeeds."""
    result = await client.call_tool(tool, arguments, raise_on_error=False)
    assert result.is_error, result.structured_content
    text = result.content[0].text  # type: ignore[union-attr]
    assert "Traceback" not in text and 'File "' not in text
    return str(text)


@asynccontextmanager
async def lifespan_in_own_task(lifespan: AbstractAsyncContextManager[None]) -> AsyncIterator[None]:
    """Enter and leave ``lifespan`` in one task of its own: the MCP session manager's task
    group must be left by the task that entered it, and pytest-asyncio runs a fixture's setup
    and teardown in different tasks."""
    entered = asyncio.Event()
    leave = asyncio.Event()

    async def hold() -> None:
        async with lifespan:
            entered.set()
            await leave.wait()

    task = asyncio.create_task(hold())
    done, _ = await asyncio.wait(
        {task, asyncio.ensure_future(entered.wait())},
        timeout=10,
        return_when=asyncio.FIRST_COMPLETED,
    )
    if task in done:
        task.result()  # raises what went wrong
    try:
        yield
    finally:
        leave.set()
        await asyncio.wait_for(task, timeout=10)


@asynccontextmanager
async def serve_with_lifespan(app: Any) -> AsyncIterator[str]:
    """Like ``tests.support.server.serve`` but running the app's lifespan (services start and
    close with it), as ``workchat serve`` does; yields ``host:port``."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not server.started:
        if task.done():
            task.result()
        assert loop.time() < deadline, "the server did not start"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


def stdio_transport(args: list[str], env: dict[str, str]) -> StdioTransport:
    """``python -m <args>`` as a real subprocess speaking MCP on stdio."""
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "WORKCHAT_SECRET_KEY": SECRET,
        "WORKCHAT_CREATE_DEMO_ORG": "false",
        **env,
    }
    return StdioTransport(command=sys.executable, args=["-m", *args], env=full_env, cwd=str(REPO))
