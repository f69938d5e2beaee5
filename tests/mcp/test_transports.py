"""End to end, once per transport: a real stdio subprocess (`python -m workchat.mcp`), the
app's streamable HTTP `/mcp` on a live server, and `workchat mcp --url` against a live
server. An agent's post reaches another user's GraphQL subscription."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport

from tests.support.chat import general, make_channel, post
from tests.support.db import audit_entries, count_rows
from tests.support.graphql_client import GraphQLClient, gid
from tests.support.mcp import (
    api_token,
    call,
    error,
    lifespan_in_own_task,
    revoke,
    serve_with_lifespan,
    stdio_transport,
)
from tests.support.personas import Personas, create_personas
from tests.support.subscriptions import CHANNEL_EVENTS, Subscriptions, event_cursor
from tests.support.websocket import connected, socket
from workchat.app import create_app
from workchat.db.models import Message
from workchat.services import Services
from workchat.settings import Settings


def _env(settings: Settings, token: str, tmp_path: Path) -> dict[str, str]:
    return {
        "WORKCHAT_TOKEN": token,
        "WORKCHAT_DATABASE_URL": settings.database_url,
        "WORKCHAT_BROADCAST_URL": settings.broadcast_url,
        "WORKCHAT_DATA_DIR": str(tmp_path / "agent-data"),
    }


@pytest.fixture
async def mcp_server(app: Any, live_server: str) -> AsyncIterator[str]:
    """The live server with its MCP session manager running (the fixture runs no lifespan)."""
    async with lifespan_in_own_task(app.state.mcp.lifespan()):
        yield live_server


async def test_stdio_subprocess_posts_searches_and_replies(
    services: Services, personas: Personas, settings: Settings, tmp_path: Path
) -> None:
    channel = await general(services, personas.alice)
    root = await post(services, personas.alice, channel, "who owns the flaky deploy job?")
    token = await api_token(services, personas.alice, personas.bob)
    transport = stdio_transport(["workchat.mcp"], _env(settings, token, tmp_path))
    async with Client(transport) as client:
        names = {tool.name for tool in await client.list_tools()}
        me = await call(client, "whoami")
        posted = await call(
            client, "post_message", channel="#general", body="on it", idempotency_key="s1"
        )
        found = await call(client, "search", query="flaky deploy")
        reply = await call(
            client, "reply_to_thread", message=found["results"][0]["thread_id"], body="mine"
        )
        refused = await error(client, "read_channel", channel="#missing")
    assert len(names) == 14
    assert me["user"]["display_name"] == "Bob"
    assert found["results"][0]["message_id"] == gid("Message", root.id)
    assert reply["thread_id"] == gid("Message", root.id)
    assert refused.startswith("NOT_FOUND: ")
    assert await count_rows(services, Message, body="on it") == 1
    entries = [e for e in await audit_entries(services, personas.bob.org_id) if e.via == "mcp"]
    assert [(e.action, e.operation) for e in entries] == [
        ("message.post", "post_message"),
        ("message.post", "reply_to_thread"),
    ]
    assert posted["id"] != reply["id"]


async def test_http_mcp_endpoint_and_a_subscribers_view(
    mcp_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    channel = await general(services, personas.alice)
    token = await api_token(services, personas.alice, personas.bob)
    alice_jwt = await gql.token_for(personas.alice)
    async with socket(mcp_server) as ws:
        await connected(ws, alice_jwt)
        subscriptions = Subscriptions(ws)
        after = await event_cursor(gql, personas.alice)
        await subscriptions.start(
            "1", CHANNEL_EVENTS, {"channelId": gid("Channel", channel.id), "after": after}
        )
        transport = StreamableHttpTransport(
            f"http://{mcp_server}/mcp", headers={"Authorization": f"Bearer {token}"}
        )
        async with Client(transport) as client:
            posted = await call(client, "post_message", channel="#general", body="agent here")
            not_member = await error(
                client,
                "post_message",
                channel=gid("Channel", (await make_channel(services, personas.alice, "ops")).id),
                body="x",
            )
        seen = await subscriptions.event("1")
    assert seen["__typename"] == "MessagePosted"
    assert seen["message"]["id"] == posted["id"]
    assert seen["message"]["author"]["displayName"] == "Bob"
    assert not_member.startswith("NOT_A_MEMBER: ")
    [entry] = [e for e in await audit_entries(services, personas.bob.org_id) if e.via == "mcp"]
    assert (entry.action, entry.operation, entry.actor_id) == (
        "message.post",
        "post_message",
        personas.bob.id,
    )


async def test_http_mcp_refuses_bad_tokens_hosts_and_origins(
    mcp_server: str, services: Services, personas: Personas
) -> None:
    token = await api_token(services, personas.alice, personas.bob)
    revoked = await api_token(services, personas.alice, personas.bob)
    await revoke(services, personas.alice, revoked)
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    accept = {"accept": "application/json, text/event-stream"}
    url = f"http://{mcp_server}/mcp"
    async with httpx.AsyncClient(timeout=10) as http:

        async def status(headers: dict[str, str]) -> tuple[int, str]:
            response = await http.post(url, json=initialize, headers={**accept, **headers})
            return response.status_code, response.text

        missing = await status({})
        gone = await status({"authorization": f"Bearer {revoked}"})
        garbage = await status({"authorization": "Bearer wct_nope"})
        host = await status({"authorization": f"Bearer {token}", "host": "evil.example.com"})
        origin = await status(
            {"authorization": f"Bearer {token}", "origin": "https://evil.example.com"}
        )
        ok = await status({"authorization": f"Bearer {token}"})
    assert missing[0] == 401 and "API token" in missing[1]
    assert gone[0] == 401 and "revoked" in gone[1]
    assert garbage[0] == 401
    assert host[0] == 421
    assert origin[0] == 403
    assert ok[0] == 200


async def test_url_mode_runs_the_tools_against_a_remote_server(
    live_server: str, services: Services, personas: Personas, tmp_path: Path
) -> None:
    channel = await general(services, personas.alice)
    await make_channel(services, personas.alice, "ops")
    token = await api_token(services, personas.alice, personas.bob)
    env = {"WORKCHAT_TOKEN": token, "WORKCHAT_DATA_DIR": str(tmp_path / "agent-data")}
    args = ["workchat", "mcp", "--url", f"http://{live_server}/graphql"]
    async with Client(stdio_transport(args, env)) as client:
        start = await call(client, "get_updates", timeout_seconds=0)
        posted = await call(client, "post_message", channel="#general", body="remote hello")
        updates = await call(client, "get_updates", after=start["cursor"], timeout_seconds=10)
        thread = await call(client, "read_thread", message=posted["id"])
        not_member = await error(client, "post_message", channel="#ops", body="x")
        bad_version = await error(
            client, "edit_message", message=posted["id"], body="y", expected_version=7
        )
    assert thread["root"]["body"] == "remote hello"
    assert [e["message"]["id"] for e in updates["events"]] == [posted["id"]]
    assert not_member.startswith("NOT_A_MEMBER: ")
    assert bad_version.startswith("VERSION_CONFLICT: ") and "at version 1" in bad_version
    assert await count_rows(services, Message, channel_id=channel.id, body="remote hello") == 1


async def test_url_mode_reports_a_refused_token(
    live_server: str, services: Services, personas: Personas, tmp_path: Path
) -> None:
    env = {"WORKCHAT_TOKEN": "wct_revoked-or-unknown", "WORKCHAT_DATA_DIR": str(tmp_path)}
    args = ["workchat.mcp", "--url", f"http://{live_server}/graphql"]
    async with Client(stdio_transport(args, env)) as client:
        refused = await error(client, "whoami")
        updates = await error(client, "get_updates", timeout_seconds=1)
    assert refused.startswith("UNAUTHENTICATED: ") and "WORKCHAT_TOKEN" in refused
    assert updates.startswith("UNAUTHENTICATED: ")


async def test_app_lifespan_runs_the_mcp_session_manager(settings: Settings) -> None:
    """Served as `workchat serve` serves it (the app's own lifespan, nothing run by hand):
    /mcp answers, so the MCP session manager runs inside the app's lifespan."""
    app = create_app(settings)
    async with serve_with_lifespan(app) as address:
        services = app.state.services
        personas = await create_personas(services)
        token = await api_token(services, personas.alice, personas.bob)
        transport = StreamableHttpTransport(
            f"http://{address}/mcp", headers={"Authorization": f"Bearer {token}"}
        )
        async with Client(transport) as client:
            me = await call(client, "whoami")
    assert me["user"]["display_name"] == "Bob"
