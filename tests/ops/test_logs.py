"""Structured logs: one JSON line per HTTP request (and per WebSocket operation) with the
request id, operation, viewer, duration and outcome; never a password or a token; readable
lines in dev; ``X-Request-ID`` on every response, refusals included."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.chat import make_channel, post
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid
from tests.support.personas import Personas
from tests.support.settings import PASSWORD
from tests.support.subscriptions import CHANNEL_EVENTS, Subscriptions, event_cursor
from tests.support.websocket import connected, socket
from workchat import logs
from workchat.services import Services

LOGIN = """mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken refreshToken }
}"""


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, formatted as in prod."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in lines(stream) if line["logger"] == "workchat.access"]


async def test_one_json_line_per_request_without_secrets(
    http: httpx.AsyncClient, personas: Personas, json_log: io.StringIO
) -> None:
    variables = {"email": personas.bob.email, "password": PASSWORD}
    response = await http.post(
        "/graphql",
        json={"query": LOGIN, "variables": variables},
        headers={"x-request-id": "client-corr-0001"},
    )
    login = response.json()["data"]["login"]
    access, refresh = login["accessToken"], login["refreshToken"]
    viewer = await http.post(
        "/graphql",
        json={"query": "query Me { viewer { id } }"},
        headers={"authorization": f"Bearer {access}"},
    )
    assert viewer.json()["data"]["viewer"]["id"]

    first, second = access_lines(json_log)
    assert first["request_id"] == response.headers["x-request-id"]
    assert first["client_request_id"] == "client-corr-0001"
    assert first["operation"] == "Login" and first["operation_type"] == "mutation"
    assert first["outcome"] == "ok" and first["status"] == 200
    assert isinstance(first["duration_ms"], float)
    assert second["operation"] == "Me"
    assert second["viewer_id"] == str(personas.bob.id)
    assert second["request_id"] == viewer.headers["x-request-id"] != first["request_id"]
    text = json_log.getvalue()
    for secret in (PASSWORD, access, refresh, access.split(".")[-1]):
        assert secret not in text


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("GET", {"params": {"query": "{ __typename }"}}, 405),
        ("PUT", {"json": {"query": "{ __typename }"}}, 405),
        ("POST", {"content": b"{oops", "headers": {"content-type": "application/json"}}, 400),
        ("POST", {"content": b"x", "headers": {"content-type": "text/plain"}}, 415),
        (
            "POST",
            {"content": b"x" * 2_000_000, "headers": {"content-type": "application/json"}},
            413,
        ),
    ],
    ids=["get-405", "put-405", "bad-json-400", "content-type-415", "too-large-413"],
)
async def test_refusals_carry_a_request_id_and_are_logged(
    http: httpx.AsyncClient,
    json_log: io.StringIO,
    method: str,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    response = await http.request(method, "/graphql", **kwargs)
    assert response.status_code == status
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    [line] = access_lines(json_log)
    assert line["request_id"] == request_id and line["status"] == status


async def test_a_sane_client_id_is_logged_and_an_odd_one_dropped(
    http: httpx.AsyncClient, json_log: io.StringIO
) -> None:
    odd = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "a b\tc"}
    )
    assert odd.headers["x-request-id"] != "a b\tc"
    [line] = access_lines(json_log)
    assert line["client_request_id"] is None


async def test_websocket_operations_get_a_line_each(
    live_server: str,
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    json_log: io.StringIO,
) -> None:
    alice, bob = personas.alice, personas.bob
    channel = await make_channel(services, alice, "logged", members=(bob,))
    after = await event_cursor(gql, bob)
    token = await gql.token_for(bob)
    async with socket(live_server) as ws:
        await connected(ws, token)
        subs = Subscriptions(ws)
        await subs.start("c", CHANNEL_EVENTS, {"channelId": cid(channel), "after": after})
        await post(services, alice, channel, "hello")
        await subs.event("c")
        await subs.stop("c")
    for _ in range(100):
        socket_lines = [
            line for line in access_lines(json_log) if line.get("transport") == "websocket"
        ]
        if socket_lines:
            break
        await asyncio.sleep(0.02)  # the line is written when the server ends the operation
    [line] = socket_lines
    assert line["operation_type"] == "subscription"
    assert line["viewer_id"] == str(bob.id)
    assert line["request_id"] and line["outcome"] == "ok"
    assert token not in json_log.getvalue()


def test_dev_lines_are_readable() -> None:
    record = logging.LogRecord(
        "workchat.access", logging.INFO, "", 0, "POST /graphql 200", (), None
    )
    record.fields = {"operation": "Login", "outcome": "ok"}
    text = logs.TextFormatter().format(record)
    assert "POST /graphql 200" in text and "operation=Login outcome=ok" in text
    assert not text.startswith("{")
    as_json = json.loads(logs.JsonFormatter().format(record))
    assert as_json["operation"] == "Login" and as_json["msg"] == "POST /graphql 200"


def test_the_format_follows_the_environment() -> None:
    from workchat.settings import Settings, SettingsError

    assert Settings(env="prod").effective_log_format == "json"
    assert Settings(env="dev").effective_log_format == "text"
    assert Settings(env="dev", log_format="json").effective_log_format == "json"
    with pytest.raises(SettingsError, match="WORKCHAT_LOG_FORMAT"):
        Settings.from_mapping({"WORKCHAT_LOG_FORMAT": "xml"})
