"""Who an agent is: another org sees nothing, a read-scoped token cannot write, a revoked or
missing token is refused with how to fix it."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator

import pytest
from fastmcp import Client
from fastmcp.exceptions import MCPError

from tests.support.chat import general, make_channel, post
from tests.support.db import snapshot
from tests.support.graphql_client import gid
from tests.support.mcp import agent, api_token, call, error, revoke
from tests.support.personas import Personas
from workchat.mcp.executor import Data, Variables
from workchat.mcp.server import create_server
from workchat.mcp.stdio import remote_server
from workchat.services import Services


async def test_eve_sees_nothing_of_acme(services: Services, personas: Personas) -> None:
    acme_general = await general(services, personas.alice)
    ops = await make_channel(services, personas.alice, "ops")
    message = await post(services, personas.alice, acme_general, "acme internal roadmap")
    eve_token = await api_token(services, personas.eve, personas.eve)
    before = await snapshot(services)
    async with agent(services, eve_token) as client:
        channels = await call(client, "list_channels")
        users = await call(client, "list_users")
        found = await call(client, "search", query="roadmap")
        by_id = await error(client, "read_channel", channel=gid("Channel", ops.id))
        missing = await error(client, "read_channel", channel=gid("Channel", personas.bob.id))
        thread = await error(client, "read_thread", message=gid("Message", message.id))
        posted = await error(
            client, "post_message", channel=gid("Channel", acme_general.id), body="hi"
        )
        reply = await error(
            client, "reply_to_thread", message=gid("Message", message.id), body="hi"
        )
        react = await error(client, "add_reaction", message=gid("Message", message.id), emoji="👍")
        with pytest.raises(MCPError, match="NOT_FOUND"):
            await client.read_resource(f"workchat://channels/{gid('Channel', ops.id)}/messages")
    assert [c["name"] for c in channels["channels"]] == ["general"]  # Evil Corp's own
    assert {u["display_name"] for u in users["users"]} == {"Eve"}
    assert found["results"] == []
    # Another org's channel reads exactly like one that does not exist.
    assert by_id == missing
    assert thread.startswith("NOT_FOUND: ")
    assert posted.startswith("NOT_FOUND: ")
    assert reply.startswith("NOT_FOUND: ")
    assert react.startswith("NOT_FOUND: ")
    assert await snapshot(services) == before


async def test_read_scoped_token_reads_but_cannot_write(
    services: Services, personas: Personas
) -> None:
    channel = await general(services, personas.alice)
    message = await post(services, personas.alice, channel, "hello")
    token = await api_token(services, personas.alice, personas.bob, scopes=["read"])
    before = await snapshot(services)
    async with agent(services, token) as client:
        read = await call(client, "read_channel", channel="#general")
        posted = await error(client, "post_message", channel="#general", body="hi")
        reacted = await error(
            client, "add_reaction", message=gid("Message", message.id), emoji="👍"
        )
    assert [m["body"] for m in read["messages"]] == ["hello"]
    assert posted.startswith("FORBIDDEN: ")
    assert reacted.startswith("FORBIDDEN: ")
    assert await snapshot(services) == before


async def test_revoked_token_is_refused_with_a_fix(services: Services, personas: Personas) -> None:
    token = await api_token(services, personas.alice, personas.bob)
    async with agent(services, token) as client:
        assert (await call(client, "whoami"))["user"]["display_name"] == "Bob"
        await revoke(services, personas.alice, token)
        before = await snapshot(services)
        refused = await error(client, "post_message", channel="#general", body="hi")
        who = await error(client, "whoami")
    assert refused.startswith("UNAUTHENTICATED: API token has been revoked")
    assert "workchat create-api-token" in refused and "WORKCHAT_TOKEN" in refused
    assert who.startswith("UNAUTHENTICATED: ")
    assert await snapshot(services) == before


async def test_missing_or_unknown_token_is_refused(services: Services, personas: Personas) -> None:
    async with agent(services, None) as client:
        missing = await error(client, "whoami")
    async with agent(services, "wct_not-a-real-token") as client:
        unknown = await error(client, "list_channels")
    assert missing.startswith("UNAUTHENTICATED: no API token")
    assert unknown.startswith("UNAUTHENTICATED: ")
    assert "WORKCHAT_TOKEN" in unknown


def _closed_port() -> int:
    """A port nothing listens on: bound (so free), then released without listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_url_mode_reports_an_unreachable_server() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/graphql"
    async with Client(remote_server(url, "wct_x")) as client:
        down = await error(client, "whoami")
        updates = await error(client, "get_updates", after="c", timeout_seconds=1)
    assert down.startswith(f"UNAVAILABLE: cannot reach {url}")
    assert updates.startswith("UNAVAILABLE: ")


class _Crashing:
    """An executor that fails as a bug would, naming a path and a secret."""

    async def execute(self, operation: str, variables: Variables, *, tool: str) -> Data:
        raise RuntimeError("boom in /srv/workchat/app.py with secret s3cr3t")

    async def subscribe(
        self, operation: str, variables: Variables, *, tool: str
    ) -> AsyncIterator[Data]:
        raise RuntimeError("boom in /srv/workchat/app.py with secret s3cr3t")
        yield {}  # pragma: no cover - makes this an async generator


async def test_unexpected_failures_show_no_details(
    services: Services, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug below the tools reaches the agent as an error without its text or a traceback:
    inside the schema as INTERNAL with a request id, outside it masked by the server."""
    from workchat.actions import users

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom in /srv/workchat/app.py with secret s3cr3t")

    monkeypatch.setattr(users, "list_users", crash)
    token = await api_token(services, personas.alice, personas.bob)
    async with agent(services, token) as client:
        internal = await error(client, "list_users")
    async with Client(create_server(_Crashing())) as client:
        masked = await error(client, "whoami")
        masked_updates = await error(client, "get_updates", after="c", timeout_seconds=1)
    assert re.fullmatch(r"INTERNAL: the server failed \(request id [0-9a-f]{32}\)", internal)
    for text in (internal, masked, masked_updates):
        assert "boom" not in text and "/srv" not in text and "s3cr3t" not in text, text
