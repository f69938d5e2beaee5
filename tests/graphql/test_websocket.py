"""GraphQL over WebSocket (graphql-transport-ws) against a real server: authentication in
connection_init, ping/pong, queries and subscriptions (docs/adr/0005-api-contract.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.exceptions import InvalidHandshake

from tests.support.graphql_client import GraphQLClient, gid
from tests.support.personas import Personas
from tests.support.websocket import PROTOCOL, closed_code, connected, receive, send, socket


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {},
        {"authorization": "Bearer not-a-token"},
        {"authorization": "Basic YWxpY2U6cGFzcw=="},
        {"token": "wct_not-a-real-api-token"},
    ],
    ids=["no-payload", "empty", "garbage-jwt", "not-bearer", "bad-api-token"],
)
async def test_connection_init_without_valid_token_is_closed_4403(
    live_server: str, personas: Personas, payload: dict[str, Any] | None
) -> None:
    """A socket that does not authenticate in connection_init is closed with 4403."""
    async with socket(live_server) as ws:
        message: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            message["payload"] = payload
        await send(ws, message)
        assert await closed_code(ws) == 4403


async def test_subscribe_before_init_is_closed(live_server: str, personas: Personas) -> None:
    """An operation before connection_ack closes the socket (4401): nothing runs unauthenticated."""
    async with socket(live_server) as ws:
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { id } }"}})
        assert await closed_code(ws) == 4401


async def test_ack_ping_and_query(live_server: str, gql: GraphQLClient, personas: Personas) -> None:
    """With a bearer access token: connection_ack, ping gets pong, and a query over the
    socket runs as the token's user (next, then complete)."""
    token = await gql.token_for(personas.alice)
    async with socket(live_server) as ws:
        assert ws.subprotocol == PROTOCOL
        await connected(ws, token)
        await send(ws, {"type": "ping"})
        assert (await receive(ws))["type"] == "pong"
        await send(
            ws,
            {"id": "q1", "type": "subscribe", "payload": {"query": "{ viewer { id email } }"}},
        )
        assert await receive(ws) == {
            "id": "q1",
            "type": "next",
            "payload": {
                "data": {
                    "viewer": {"id": gid("User", personas.alice.id), "email": personas.alice.email}
                }
            },
        }
        assert await receive(ws) == {"id": "q1", "type": "complete"}


async def test_api_token_authenticates_a_socket(
    live_server: str, gql: GraphQLClient, personas: Personas
) -> None:
    """API tokens (bots, agents) authenticate sockets too."""
    created = await gql.execute(
        """mutation($id: ID!) { createApiToken(input: {userId: $id, name: "bot"}) { token } }""",
        {"id": gid("User", personas.bob.id)},
        as_=personas.alice,
    )
    secret = created["data"]["createApiToken"]["token"]
    async with socket(live_server) as ws:
        await connected(ws, secret)
        await send(
            ws, {"id": "q", "type": "subscribe", "payload": {"query": "{ viewer { email } }"}}
        )
        message = await receive(ws)
        assert message["payload"]["data"]["viewer"]["email"] == personas.bob.email


async def test_heartbeat_subscription(
    live_server: str, gql: GraphQLClient, personas: Personas
) -> None:
    """heartbeat(intervalSeconds: 1, count: 2) yields exactly two timestamps, then completes."""
    token = await gql.token_for(personas.alice)
    async with socket(live_server) as ws:
        await connected(ws, token)
        await send(
            ws,
            {
                "id": "hb",
                "type": "subscribe",
                "payload": {"query": "subscription { heartbeat(intervalSeconds: 1, count: 2) }"},
            },
        )
        beats = [await receive(ws), await receive(ws)]
        for beat in beats:
            assert beat["type"] == "next" and beat["id"] == "hb"
            assert "errors" not in beat["payload"]
        first, second = (beat["payload"]["data"]["heartbeat"] for beat in beats)
        assert first < second
        assert await receive(ws) == {"id": "hb", "type": "complete"}


async def test_heartbeat_arguments_are_checked(
    live_server: str, gql: GraphQLClient, personas: Personas
) -> None:
    """Out-of-range heartbeat arguments give a coded error, not a stream."""
    token = await gql.token_for(personas.alice)
    async with socket(live_server) as ws:
        await connected(ws, token)
        await send(
            ws,
            {
                "id": "hb",
                "type": "subscribe",
                "payload": {"query": "subscription { heartbeat(intervalSeconds: 0) }"},
            },
        )
        message = await receive(ws)
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e.get("extensions", {}).get("code") for e in errors] == ["INVALID_INPUT"]


SECRET_TEXT = "secret SQL SELECT password_hash FROM users"


async def explode(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError(SECRET_TEXT)


def explode_sync(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError(SECRET_TEXT)


@pytest.mark.parametrize(
    ("target", "replacement", "query"),
    [
        ("workchat.actions.users.list_users", explode, "{ users { totalCount } }"),
        ("workchat.graphql.schema.utcnow", explode_sync, "subscription { heartbeat(count: 1) }"),
    ],
    ids=["query", "subscription"],
)
async def test_unexpected_exception_over_websocket_is_masked(
    live_server: str,
    gql: GraphQLClient,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    replacement: Any,
    query: str,
) -> None:
    """Over the socket too, an unexpected exception reaches the client only as INTERNAL."""
    token = await gql.token_for(personas.alice)
    monkeypatch.setattr(target, replacement)
    async with socket(live_server) as ws:
        await connected(ws, token)
        await send(ws, {"id": "x", "type": "subscribe", "payload": {"query": query}})
        message = await receive(ws)
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e.get("extensions", {}).get("code") for e in errors] == ["INTERNAL"]
        raw = json.dumps(message)
        for leak in ("secret", "SELECT", "RuntimeError", "Traceback"):
            assert leak not in raw


async def test_logged_out_token_cannot_open_a_socket(
    live_server: str, gql: GraphQLClient, personas: Personas
) -> None:
    """A token whose session ended is refused at connection_init like a garbage one."""
    session = await gql.login(personas.alice)
    logout = await gql.execute(
        "mutation { logout(input: {}) { sessionsEnded } }", token=session["accessToken"]
    )
    assert logout["data"]["logout"]["sessionsEnded"] == 1
    async with socket(live_server) as ws:
        await send(
            ws,
            {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {session['accessToken']}"},
            },
        )
        assert await closed_code(ws) == 4403


async def test_legacy_graphql_ws_protocol_is_refused(live_server: str, personas: Personas) -> None:
    """The legacy `graphql-ws` subprotocol is not spoken: the handshake does not agree on it
    and the server closes the socket."""
    try:
        async with socket(live_server, subprotocol="graphql-ws") as ws:
            code = await closed_code(ws)
    except InvalidHandshake:
        return  # refusing the handshake outright is also fine
    assert code == 4406
