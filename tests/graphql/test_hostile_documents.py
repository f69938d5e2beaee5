"""Hostile documents and requests: each is refused with its code, before Strawberry's
validation rules or execution run, and changes nothing; the cost pass that refuses them does
work linear in the document's size (docs/adr/0011-dos-request-limits.md)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, parse
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

import workchat.graphql.limits as limits
from tests.support.db import snapshot
from tests.support.graphql_client import ClientFactory, GraphQLClient, codes
from tests.support.hostile import (
    CREATE_CHANNEL,
    MB,
    Hostile,
    fan_out,
    graphql,
    hostile_requests,
    nested_json,
)
from tests.support.personas import Personas
from tests.support.server import serve
from tests.support.websocket import PROTOCOL, closed_code, connected, receive
from tests.support.websocket import send as ws_send
from tests.support.websocket import socket as ws_socket
from workchat.app import create_app
from workchat.graphql.cost import analyse
from workchat.graphql.limits import cost_limits
from workchat.services import Services
from workchat.settings import Settings

HOSTILE = hostile_requests()
NESTED_50 = json.loads(nested_json(50))
MANY_VALUES = list(range(100_000))


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every document that reaches graphql-core's validation rules (cache bypassed)."""
    seen: list[str] = []
    real = limits.validate_document

    def spy(schema: Any, document: Any, rules: Any) -> Any:
        seen.append(document.loc.source.body)
        return real(schema, document, rules)

    monkeypatch.setattr(limits, "validate_document", spy)
    limits._validate.cache_clear()
    yield seen
    limits._validate.cache_clear()


@pytest.fixture
async def raw_http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client that shows the app's own answer even where it refuses early."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def send(http: httpx.AsyncClient, hostile: Hostile, token: str | None) -> httpx.Response:
    headers = {"content-type": "application/json", **hostile.headers}
    if token is not None and hostile.as_member:
        headers["authorization"] = f"Bearer {token}"
    return await http.post("/graphql", content=hostile.body, headers=headers)


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
async def test_hostile_request_is_refused_with_its_code(
    raw_http: httpx.AsyncClient,
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    validations: list[str],
    hostile: Hostile,
) -> None:
    """Refused with the expected status and code, as JSON without a trace; the validation
    rules never saw it, nothing was executed or written, and the server still answers."""
    token = await gql.token_for(personas.bob)
    validations.clear()
    before = await snapshot(services)
    response = await send(raw_http, hostile, token)
    assert response.status_code == hostile.status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert codes(body) == [hostile.code], body
    assert body.get("data") is None
    assert "Traceback" not in response.text
    assert validations == []
    assert await snapshot(services) == before
    assert (await raw_http.get("/healthz")).status_code == 200


async def test_control_documents_pass_the_cost_pass(
    gql: GraphQLClient, personas: Personas, validations: list[str]
) -> None:
    """A small fan-out, an introspection query (dev) and ten mutation fields are accepted:
    the limits refuse only what is over them, and these reach the validation rules."""
    await gql.token_for(personas.bob)
    validations.clear()
    result = await gql.execute(fan_out(4), as_=personas.bob)
    assert not result.get("errors"), result
    assert result["data"]["viewer"]["id"]
    result = await gql.execute(get_introspection_query(descriptions=True))
    assert result["data"]["__schema"]["queryType"]["name"] == "Query"
    ten = "mutation { " + " ".join(CREATE_CHANNEL.format(i=i) for i in range(10)) + " }"
    result = await gql.execute(ten, as_=personas.bob)
    assert [result["data"][f"c{i}"]["errors"] for i in range(10)] == [[]] * 10
    assert len(validations) == 3


async def test_mutation_field_limit_is_configurable(
    client_with: ClientFactory, services: Services, personas: Personas
) -> None:
    """With max_mutation_fields=2, three createChannel in one request write nothing."""
    gql = GraphQLClient(await client_with(max_mutation_fields=2))
    token = await gql.token_for(personas.bob)
    three = "mutation { " + " ".join(CREATE_CHANNEL.format(i=i) for i in range(3)) + " }"
    before = await snapshot(services)
    assert codes(await gql.execute(three, token=token)) == ["QUERY_TOO_COMPLEX"]
    assert await snapshot(services) == before
    two = "mutation { " + " ".join(CREATE_CHANNEL.format(i=i) for i in range(2)) + " }"
    result = await gql.execute(two, token=token)
    assert [result["data"][f"c{i}"]["errors"] for i in range(2)] == [[], []]


async def test_two_operations_need_an_operation_name(
    raw_http: httpx.AsyncClient, services: Services, personas: Personas
) -> None:
    """Several operations without operationName are an error (the spec; Strawberry alone
    would run the first one); naming one runs just that one."""
    document = "query A { viewer { id } } mutation B { logout(input: {}) { sessionsEnded } }"
    json_ = {"content-type": "application/json"}
    response = await raw_http.post("/graphql", content=graphql(document), headers=json_)
    assert codes(response.json()) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "operation name" in response.json()["errors"][0]["message"]
    query = "query A { __typename } query B { viewer { id } }"
    response = await raw_http.post(
        "/graphql", content=graphql(query, operationName="A"), headers=json_
    )
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_body_over_the_limit_without_content_length_is_refused_while_streaming(
    raw_http: httpx.AsyncClient, services: Services, personas: Personas
) -> None:
    """A chunked body with no Content-Length is cut off once it passes the limit: the
    reader stops there instead of buffering the rest."""
    chunks_read = 0
    limit = services.settings.max_request_bytes

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal chunks_read
        yield b'{"query": "{ __typename }", "pad": "'
        for _ in range(4 * limit // 65536):
            chunks_read += 1
            yield b"x" * 65536
        yield b'"}'

    response = await raw_http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert codes(response.json()) == ["PAYLOAD_TOO_LARGE"]
    assert chunks_read <= limit // 65536 + 2


@pytest.mark.parametrize(
    ("introspection", "env", "allowed"),
    [(None, "dev", True), (None, "prod", False), (True, "prod", True), (False, "dev", False)],
)
async def test_introspection_setting(
    client_with: ClientFactory,
    personas: Personas,
    introspection: bool | None,
    env: str,
    allowed: bool,
) -> None:
    """Introspection follows WORKCHAT_INTROSPECTION, by default on in dev and off in prod;
    __typename always works."""
    gql = GraphQLClient(await client_with(env=env, introspection=introspection))
    result = await gql.execute("{ __schema { queryType { name } } }", as_=personas.bob)
    if allowed:
        assert result["data"]["__schema"]["queryType"]["name"] == "Query"
    else:
        assert set(codes(result)) == {"GRAPHQL_VALIDATION_FAILED"}
        assert result.get("data") is None
    assert (await gql.execute("{ __typename }"))["data"] == {"__typename": "Query"}


# --- the cost pass itself (no database) ------------------------------------------------------


def steps(document: str) -> int:
    return analyse(parse(document), cost_limits(Settings())).steps


@pytest.mark.parametrize("fragments", [23, 30, 200])
def test_cost_pass_work_is_linear_in_document_size(fragments: int) -> None:
    """Measuring a fan-out of n fragments (2^n expanded fields) takes a few steps per
    fragment: under one step per character of the document, and doubling the fragments at
    most doubles the steps (plus a constant)."""
    document = fan_out(fragments)
    assert steps(document) <= len(document)
    assert steps(fan_out(2 * fragments)) <= 2 * steps(document) + 10


def test_cost_pass_refusals_name_the_limit() -> None:
    """Each limit has its own message; a cycle and a duplicate fragment are found without
    recursing."""
    limits_ = cost_limits(Settings())

    def refusal(document: str) -> str:
        result = analyse(parse(document), limits_).refusal
        assert result is not None
        return result.message

    assert "selections" in refusal(fan_out(30))
    assert "depth" in refusal("{" + "viewer {" * 13 + "id" + "}" * 14)
    assert "aliases" in refusal("{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }")
    assert "directives" in refusal(
        "{ " + " ".join("__typename @skip(if: false)" for _ in range(51)) + " }"
    )
    assert "directives" in refusal("query Q" + " @skip(if: false)" * 51 + " { __typename }")
    chain = " ".join(f"fragment C{i} on User {{ ...C{i + 1} }}" for i in range(2000))
    assert "within itself" in refusal(
        "{ viewer { ...C0 } } " + chain + " fragment C2000 on User { ...C0 }"
    )
    assert "only one fragment" in refusal(
        "{ viewer { ...A } } fragment A on User { id } fragment A on User { id }"
    )
    assert "mutation has 11 root fields" in refusal(
        "mutation { "
        + " ".join(f"a{i}: logout(input: {{}}) {{ sessionsEnded }}" for i in range(11))
        + " }"
    )


def test_depth_ignores_introspection_and_counts_through_spreads() -> None:
    """Depth is measured like Strawberry's rule did: root fields at 0, introspection
    subtrees ignored, a spread adds its fragment's depth where it is spread."""
    limits_ = cost_limits(Settings())
    deep_fragment = "fragment D on User { org { id } }"
    twelve = "{ " + "viewer { " * 11 + "...D" + " }" * 11 + " } " + deep_fragment
    assert analyse(parse(twelve), limits_).refusal is None
    thirteen = "{ " + "viewer { " * 12 + "...D" + " }" * 12 + " } " + deep_fragment
    refusal = analyse(parse(thirteen), limits_).refusal
    assert refusal is not None and "depth" in refusal.message
    introspection = "{ __schema { " + "types { " * 20 + "name" + " }" * 20 + " } }"
    assert analyse(parse(introspection), limits_).refusal is None


async def test_slow_operation_is_stopped_at_the_execution_budget(
    client_with: ClientFactory, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query still running at execution_timeout_seconds is stopped and answered 503
    TIMEOUT (a resolver that never finishes stands in for a slow one); the server goes on
    answering."""
    client = await client_with(execution_timeout_seconds=0.2)
    gql = GraphQLClient(client)
    token = await gql.token_for(personas.alice)
    never = asyncio.Event()

    async def stuck(*_args: Any, **_kwargs: Any) -> Any:
        await never.wait()

    monkeypatch.setattr("workchat.actions.users.list_users", stuck)
    response = await client.post(
        "/graphql",
        json={"query": "{ users { totalCount } }"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 503
    assert codes(response.json()) == ["TIMEOUT"]
    assert (await gql.execute("{ __typename }"))["data"] == {"__typename": "Query"}


BEATS = "subscription { heartbeat(intervalSeconds: 1, count: 2) }"


def subscribe(operation_id: str, query: str) -> dict[str, Any]:
    return {"id": operation_id, "type": "subscribe", "payload": {"query": query}}


async def test_slow_operation_over_websocket_is_stopped_at_the_execution_budget(
    settings: Settings, gql: GraphQLClient, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query sent over graphql-transport-ws meets the same budget as over HTTP: an `error`
    coded TIMEOUT for that operation id, and the socket goes on serving; a subscription
    waiting longer than the budget is not stopped."""
    token = await gql.token_for(personas.alice)
    never = asyncio.Event()

    async def stuck(*_args: Any, **_kwargs: Any) -> Any:
        await never.wait()

    monkeypatch.setattr("workchat.actions.users.list_users", stuck)
    budgeted = replace(settings, execution_timeout_seconds=0.2)
    services = Services.create(budgeted)
    await services.start()
    try:
        async with (
            serve(create_app(budgeted, services)) as address,
            ws_socket(address) as ws,
        ):
            await connected(ws, token)
            await ws_send(ws, subscribe("live", BEATS))
            await ws_send(ws, subscribe("slow", "{ users { totalCount } }"))
            seen: dict[str, list[dict[str, Any]]] = {"live": [], "slow": []}
            while not (
                seen["slow"] and seen["live"][-1:] and seen["live"][-1]["type"] == "complete"
            ):
                message = await receive(ws)
                seen[message["id"]].append(message)
            [slow] = seen["slow"]
            assert slow["type"] == "error"
            assert [e["extensions"]["code"] for e in slow["payload"]] == ["TIMEOUT"]
            # The subscription's second beat came a second later, past the budget.
            assert [m["type"] for m in seen["live"]] == ["next", "next", "complete"]
            await ws_send(ws, subscribe("next", "{ __typename }"))
            assert (await receive(ws))["payload"] == {"data": {"__typename": "Query"}}
    finally:
        await services.close()


async def test_websocket_documents_go_through_the_same_cost_pass(
    live_server: str, gql: GraphQLClient, personas: Personas, validations: list[str]
) -> None:
    """A fan-out subscribed over graphql-transport-ws is refused with QUERY_TOO_COMPLEX by
    the same pass, before the validation rules; the socket stays usable."""
    token = await gql.token_for(personas.bob)
    validations.clear()
    async with ws_socket(live_server) as ws:
        await connected(ws, token)
        await ws_send(ws, {"id": "1", "type": "subscribe", "payload": {"query": fan_out(30)}})
        message = await receive(ws)
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["QUERY_TOO_COMPLEX"]
        assert validations == []
        await ws_send(ws, {"id": "2", "type": "subscribe", "payload": {"query": "{ __typename }"}})
        assert (await receive(ws))["payload"] == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (
            {"query": "subscription($q: String) { heartbeat }", "variables": {"q": NESTED_50}},
            "INVALID_INPUT",
        ),
        (
            {"query": "subscription($q: [Int!]) { heartbeat }", "variables": {"q": MANY_VALUES}},
            "INVALID_INPUT",
        ),
        ({"query": "subscription { heartbeat }\n#" + "x" * 200_000}, "PAYLOAD_TOO_LARGE"),
    ],
    ids=["variables nested 50 deep", "variables with 100,000 values", "query text 200 KB"],
)
async def test_websocket_subscribe_over_the_request_limits_is_refused(
    live_server: str, gql: GraphQLClient, personas: Personas, payload: dict[str, Any], code: str
) -> None:
    """A subscribe's query text and variables meet the limits of an HTTP request: an error
    for that operation, and the socket stays usable."""
    token = await gql.token_for(personas.bob)
    async with ws_socket(live_server) as ws:
        await connected(ws, token)
        await ws_send(ws, {"id": "1", "type": "subscribe", "payload": payload})
        message = await receive(ws)
        assert message["type"] == "error" and message["id"] == "1"
        assert [e["extensions"]["code"] for e in message["payload"]] == [code]
        await ws_send(ws, {"id": "2", "type": "subscribe", "payload": {"query": "{ __typename }"}})
        assert (await receive(ws))["payload"] == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "message",
    [
        '{"id": "1", "type": "subscribe", "payload": {"query": "subscription { heartbeat }", '
        '"variables": {"q": ' + nested_json(100_000) + "}}}",
        json.dumps({"type": "ping", "payload": {"pad": "x" * (2 * MB)}}),
    ],
    ids=["JSON nested 100,000 deep", "message over 1 MB"],
)
async def test_websocket_message_too_deep_or_too_large_closes_with_4400(
    live_server: str,
    gql: GraphQLClient,
    personas: Personas,
    caplog: pytest.LogCaptureFixture,
    message: str,
) -> None:
    """A message the decoder cannot take apart (a RecursionError used to escape, dropping the
    socket without a close frame and logging a traceback) or one over max_request_bytes
    closes the socket with 4400, logging nothing; a new socket works."""
    caplog.set_level(logging.WARNING)
    token = await gql.token_for(personas.bob)
    async with ws_socket(live_server) as ws:
        await connected(ws, token)
        await ws.send(message)
        assert await closed_code(ws) == 4400
    async with ws_socket(live_server) as ws:
        await connected(ws, token)
        await ws_send(ws, {"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}})
        assert (await receive(ws))["payload"] == {"data": {"__typename": "Query"}}
    assert [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()] == []


async def test_websocket_handshake_with_oversized_headers_is_refused(live_server: str) -> None:
    """Headers over max_header_bytes refuse the WebSocket handshake (HTTP 403)."""
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"ws://{live_server}/graphql",
            subprotocols=[Subprotocol(PROTOCOL)],
            additional_headers={f"x-pad-{i}": "x" * 6000 for i in range(3)},
            open_timeout=5,
        ):
            pass
    assert refused.value.response.status_code == 403
