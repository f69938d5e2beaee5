"""The text rule on every string argument and input field of the schema (found by walking
the schema, so a new field is covered): bad text is a top-level INVALID_INPUT naming the
field and changes nothing; good text in any script passes the rule."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

import pytest

from tests.support.db import snapshot
from tests.support.graphql_client import GraphQLClient
from tests.support.personas import Personas
from tests.support.schema_inputs import StringInput, operation_for, string_inputs
from tests.support.websocket import closed_code, connected, receive, send, socket
from workchat.graphql.schema import schema
from workchat.services import Services
from workchat.text import TextKind, kind_of

SCHEMA = schema._schema
INPUTS = string_inputs(SCHEMA)

# What each kind of field refuses, by name of the case.
REFUSED_EVERYWHERE = {
    "lone surrogate": "a\ud800b",
    "NUL": "a\x00b",
    "C0 control": "a\x07b",
    "escape": "a\x1bb",
    "C1 control": "a\x85b",
    "not NFC": "cafe\u0301",
}
REFUSED_OUTSIDE_BODIES = {"newline": "a\nb", "tab": "a\tb"}
REFUSED_IN_IDENTIFIERS = {
    "bidi override": "abc\u202edef",
    "zero-width space": "ab\u200bc",
    "zero-width joiner": "ab\u200dc",
    "bidi isolate": "a\u2066b",
    "byte order mark": "\ufeffab",
}
GOOD = "Café 日本語 🎉 Ωμέγα"
GOOD_BODY = "line one\n\tline two: Café 日本語 🎉"


def refused_for(target: StringInput) -> dict[str, str]:
    kind = kind_of(target.leaf_name)
    cases = dict(REFUSED_EVERYWHERE)
    if kind is not TextKind.BODY:
        cases |= REFUSED_OUTSIDE_BODIES
    if kind is TextKind.IDENTIFIER:
        cases |= REFUSED_IN_IDENTIFIERS
    return cases


def good_for(target: StringInput) -> str:
    return GOOD_BODY if kind_of(target.leaf_name) is TextKind.BODY else GOOD


async def execute(
    gql: GraphQLClient, document: str, variables: dict[str, Any] | None, token: str
) -> dict[str, Any]:
    """POST with JSON escapes (``\\ud800``), as a client that sends a lone surrogate does."""
    response = await gql.http.post(
        "/graphql",
        content=json.dumps({"query": document, "variables": variables or {}}),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def rule_errors(result: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """The top-level errors that say the text rule refused ``field``."""
    return [
        error
        for error in result.get("errors") or []
        if error.get("extensions") == {"code": "INVALID_INPUT", "field": field}
    ]


def test_the_walk_finds_every_kind_of_string_input() -> None:
    """A sanity check on the generator: it reaches roots, nested fields and list items."""
    found = {str(target) for target in INPUTS}
    assert {
        "Mutation.login(input.email)",
        "Mutation.login(input.password)",
        "Mutation.refreshToken(input.refreshToken)",
        "Mutation.postMessage(input.body)",
        "Mutation.createApiToken(input.scopes)",
        "Query.channels(filter.nameContains)",
        "Channel.messages(before)",
        "Message.replies(after)",
        "Subscription.viewerEvents(after)",
        "Subscription.auditEvents(filter.since)",
    } <= found
    kinds = {kind_of(target.leaf_name) for target in INPUTS}
    assert kinds == set(TextKind)


def _check_http(target: StringInput, result: dict[str, Any], case: str) -> str | None:
    if result.get("data") is None and rule_errors(result, target.expected_field):
        return None
    return f"{target} [{case}]: {result}"


@pytest.mark.parametrize("operation", ["query", "mutation"])
async def test_bad_text_is_refused_with_the_field_and_changes_nothing(
    gql: GraphQLClient, personas: Personas, services: Services, operation: str
) -> None:
    """Each refused case, as a variable and as an inline literal, on every string input."""
    token = await gql.token_for(personas.bob)
    before = await snapshot(services)
    failures: list[str] = []
    for target in (t for t in INPUTS if t.operation == operation):
        for case, text in refused_for(target).items():
            document, variables = operation_for(SCHEMA, target, text, inline=False)
            result = await execute(gql, document, variables, token)
            if (failure := _check_http(target, result, f"{case}, variable")) is not None:
                failures.append(failure)
            document, _ = operation_for(SCHEMA, target, text, inline=True)
            result = await execute(gql, document, None, token)
            # Two refusals come before the rule for inline literals: the parser's, for a
            # raw surrogate in the document, and a custom scalar's own literal parser
            # (DateTime), which runs during validation.
            first = "GRAPHQL_PARSE_FAILED" if case == "lone surrogate" else None
            if target.scalar not in ("String", "ID"):
                first = first or "GRAPHQL_VALIDATION_FAILED"
            if first is not None:
                if [e["extensions"]["code"] for e in result["errors"]] != [first]:
                    failures.append(f"{target} [{case}, inline]: {result}")
            elif (failure := _check_http(target, result, f"{case}, inline")) is not None:
                failures.append(failure)
    assert failures == []
    assert await snapshot(services) == before


@pytest.mark.parametrize("operation", ["query", "mutation"])
async def test_good_text_in_any_script_passes_the_rule(
    gql: GraphQLClient, personas: Personas, operation: str
) -> None:
    """Emoji, CJK, Greek and accented NFC text (and newline/tab in bodies) are not refused by
    the rule; whatever happens next (NOT_FOUND, a bad cursor) is never INTERNAL."""
    token = await gql.token_for(personas.bob)
    failures: list[str] = []
    for target in (t for t in INPUTS if t.operation == operation):
        for inline in (False, True):
            document, variables = operation_for(SCHEMA, target, good_for(target), inline=inline)
            result = await execute(gql, document, variables, token)
            codes = [error["extensions"]["code"] for error in result.get("errors") or []]
            if rule_errors(result, target.expected_field) or "INTERNAL" in codes:
                failures.append(f"{target} [inline={inline}]: {result}")
    assert failures == []


async def _first_reply(ws: Any, operation_id: str) -> list[dict[str, Any]]:
    """The errors of the first message for ``operation_id`` (an ``error`` or a ``next``)."""
    while True:
        message = await receive(ws)
        if message.get("id") != operation_id:
            continue
        if message["type"] == "error":
            return message["payload"]  # type: ignore[no-any-return]
        if message["type"] == "next":
            return message["payload"].get("errors") or []  # type: ignore[no-any-return]
        raise AssertionError(message)


async def test_subscription_arguments_follow_the_rule_over_websocket(
    live_server: str, gql: GraphQLClient, personas: Personas
) -> None:
    token = await gql.token_for(personas.alice)  # an admin: auditEvents is theirs
    failures: list[str] = []
    async with socket(live_server) as ws:
        await connected(ws, token)
        count = 0
        for target in (t for t in INPUTS if t.operation == "subscription"):
            for case, text in refused_for(target).items():
                count += 1
                document, variables = operation_for(SCHEMA, target, text, inline=False)
                await send(
                    ws,
                    {
                        "id": str(count),
                        "type": "subscribe",
                        "payload": {"query": document, "variables": variables},
                    },
                )
                errors = await _first_reply(ws, str(count))
                wanted = {"code": "INVALID_INPUT", "field": target.expected_field}
                if [error.get("extensions") for error in errors] != [wanted]:
                    failures.append(f"{target} [{case}]: {errors}")
    assert count > 0
    assert failures == []


async def test_connection_init_with_a_lone_surrogate_closes_with_4400(
    live_server: str, gql: GraphQLClient, personas: Personas, caplog: pytest.LogCaptureFixture
) -> None:
    """The credential is checked before use: a proper close frame, nothing logged."""
    caplog.set_level(logging.WARNING)
    token = await gql.token_for(personas.bob)
    for payload in (
        '{"authorization": "Bearer \\ud800"}',
        '{"token": "wc_\\udfff"}',
        '{"\\ud800": "x", "authorization": "Bearer ' + token + '"}',
        '{"authorization": "Bearer ' + token + '\\u0000"}',
    ):
        async with socket(live_server) as ws:
            await ws.send('{"type": "connection_init", "payload": ' + payload + "}")
            assert await closed_code(ws) == 4400, payload
    assert [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()] == []


async def test_subscribe_with_a_bad_id_or_operation_name_closes_with_4400(
    live_server: str, gql: GraphQLClient, personas: Personas, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    token = await gql.token_for(personas.bob)
    query = '"query": "subscription { heartbeat }"'
    for message in (
        '{"type": "subscribe", "id": "\\ud800", "payload": {' + query + "}}",
        '{"type": "subscribe", "id": "' + "x" * 200 + '", "payload": {' + query + "}}",
        '{"type": "subscribe", "id": "1", "payload": {' + query + ', "operationName": "\\udc00"}}',
    ):
        async with socket(live_server) as ws:
            await connected(ws, token)
            await ws.send(message)
            assert await closed_code(ws) == 4400, message
    # The socket still works for good messages.
    async with socket(live_server) as ws:
        await connected(ws, token)
        await send(ws, {"id": "ok", "type": "subscribe", "payload": {"query": "{ viewer { id } }"}})
        reply = await asyncio.wait_for(receive(ws), timeout=5)
        assert reply["type"] == "next" and reply["payload"]["data"]["viewer"]["id"]
    assert [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()] == []


def _nested_json_cursor(depth: int) -> str:
    return base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).decode()


@pytest.mark.parametrize(
    "document",
    [
        "query($c: String) { channels(after: $c) { totalCount } }",
        "query($c: String) { users(after: $c) { totalCount } }",
        'query($c: String) { search(query: "x", after: $c) { totalCount } }',
        "query($c: String) { auditLog(before: $c) { totalCount } }",
    ],
)
async def test_a_cursor_of_deeply_nested_json_is_invalid_input(
    gql: GraphQLClient, personas: Personas, document: str
) -> None:
    """A forged cursor decoding to JSON nested thousands deep: INVALID_INPUT, not INTERNAL
    (the JSON decoder's RecursionError), whether short enough to decode or not."""
    token = await gql.token_for(personas.alice)
    for depth in (1500, 3000, 100_000):
        result = await execute(gql, document, {"c": _nested_json_cursor(depth)}, token)
        assert result["data"] is None
        assert [e["extensions"]["code"] for e in result["errors"]] == ["INVALID_INPUT"], depth


@pytest.mark.parametrize(
    ("document", "variables", "operation_name", "field"),
    [
        (  # through a fragment
            "query($q: String) { ...F } fragment F on Query { users(query: $q) { totalCount } }",
            {"q": "a\x00"},
            None,
            "query",
        ),
        (  # a variable's default value
            'query($q: String = "a\\u0007") { users(query: $q) { totalCount } }',
            {},
            None,
            "query",
        ),
        (  # a variable inside an input object literal
            'mutation($b: String!) { postMessage(input: {channelId: "x", body: $b}) '
            "{ errors { code } } }",
            {"b": "cafe\u0301"},
            None,
            "body",
        ),
        (  # a field name of a variable's input object that is not text
            "mutation($i: PostMessageInput!) { postMessage(input: $i) { errors { code } } }",
            {"i": {"channelId": "x", "body": "hi", "\ud800": 1}},
            None,
            "input",
        ),
        (  # only the operation that runs counts
            'query A { users(query: "a\\u0000") { totalCount } } query B { viewer { id } }',
            {},
            "B",
            None,
        ),
    ],
    ids=["fragment", "default", "nested-variable", "bad-key", "other-operation"],
)
async def test_where_strings_hide(
    gql: GraphQLClient,
    personas: Personas,
    document: str,
    variables: dict[str, Any],
    operation_name: str | None,
    field: str | None,
) -> None:
    token = await gql.token_for(personas.bob)
    response = await gql.http.post(
        "/graphql",
        content=json.dumps(
            {"query": document, "variables": variables, "operationName": operation_name}
        ),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    result = response.json()
    if field is None:
        assert "errors" not in result, result
    else:
        assert result["data"] is None
        assert [e["extensions"] for e in result["errors"]] == [
            {"code": "INVALID_INPUT", "field": field}
        ]


async def test_a_repeated_document_is_walked_once_and_still_checked(
    gql: GraphQLClient, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk over a document is cached by its text: the same document sent again is not
    walked again, and its variables are still checked every time."""
    import workchat.graphql.input_rule as input_rule

    token = await gql.token_for(personas.alice)  # logging in walks its own document
    walks: list[str] = []
    plan = input_rule._plan

    def counting_plan(*args: Any) -> Any:
        walks.append("walk")
        return plan(*args)

    monkeypatch.setattr(input_rule, "_plan", counting_plan)
    document = "query RepeatedWalk($q: String) { users(query: $q) { totalCount } }"
    first = await gql.execute(document, {"q": "ann"}, token=token)
    second = await gql.execute(document, {"q": "a\x00"}, token=token)
    assert "errors" not in first or not first["errors"]
    assert [e["extensions"]["code"] for e in second["errors"]] == ["INVALID_INPUT"]
    assert walks == ["walk"]
