"""Limits that keep one request from stalling the server (docs/adr/0011-dos-request-limits.md).

- ``HeaderLimit``: an ASGI middleware refusing oversized headers (431) and declared bodies
  over the limit (413) before any route runs.
- ``read_body``: reads an HTTP body chunk by chunk and stops at the limit (413), so a body
  without Content-Length cannot grow memory either.
- ``decode_request``: strict UTF-8, JSON without RecursionError (``load_json``), and the
  query text and variables within their limits (``check_request``, also run on a WebSocket
  ``subscribe`` payload).
- ``execute_http``: queries and mutations only, within the execution budget (TIMEOUT).
- ``BoundedValidation``: the linear cost pass (``workchat.graphql.cost``) before the other
  validation rules, whose results are cached by document.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
)
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from workchat.errors import RequestErrorCode
from workchat.graphql.cost import CostLimits, Refusal, analyse
from workchat.settings import Settings


class Refused(Exception):
    """A request refused before it is parsed: HTTP status, code and message."""

    def __init__(self, status: int, code: RequestErrorCode, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> JSONResponse:
        return JSONResponse(
            {
                "data": None,
                "errors": [{"message": self.message, "extensions": {"code": self.code.value}}],
            },
            status_code=self.status,
        )


def too_large(what: str, limit: int) -> Refused:
    return Refused(413, RequestErrorCode.PAYLOAD_TOO_LARGE, f"{what} is over {limit} bytes")


class HeaderLimit:
    """Refuse a request whose headers together exceed ``max_header_bytes`` (431), and an HTTP
    request that announces a body over ``max_request_bytes`` (413), before routing."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_header_bytes = settings.max_header_bytes
        self.max_request_bytes = settings.max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            refusal = self._refusal(scope)
            if refusal is not None:
                if scope["type"] == "http":
                    await refusal.response()(scope, receive, send)
                else:  # a close before accept refuses the handshake (HTTP 403)
                    await send({"type": "websocket.close", "code": 1009})
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> Refused | None:
        size = 0
        declared = 0
        for name, value in scope["headers"]:
            size += len(name) + len(value) + 4  # ": " and CRLF, as on the wire
            if name == b"content-length" and value.isdigit():
                declared = int(value)
        if size > self.max_header_bytes:
            return Refused(
                431,
                RequestErrorCode.PAYLOAD_TOO_LARGE,
                f"the request headers are over {self.max_header_bytes} bytes",
            )
        if declared > self.max_request_bytes:
            return too_large("the request body", self.max_request_bytes)
        return None


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, read chunk by chunk; raises ``Refused`` (413) once it passes ``limit``
    without buffering the rest."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large("the request body", limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """A ``receive`` that hands the already read body to the view, then waits for the
    disconnect like the real one."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


@dataclass(frozen=True, slots=True)
class RequestLimits:
    max_query_bytes: int
    max_variables_depth: int
    max_variables_values: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestLimits:
        return cls(
            settings.max_query_bytes, settings.max_variables_depth, settings.max_variables_values
        )


def decode_request(body: bytes, limits: RequestLimits) -> Any:
    """The JSON of a GraphQL POST, or ``Refused``: not UTF-8, not JSON, nested too deep, a
    query or variables over their limits. The shape is checked by Strawberry afterwards."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, RequestErrorCode.BAD_REQUEST, "the request body is not UTF-8") from None
    try:
        data = load_json(text, "the request body")
    except ValueError:
        raise Refused(
            400, RequestErrorCode.BAD_REQUEST, "Unable to parse request body as JSON"
        ) from None
    check_request(data, limits)
    return data


def load_json(text: str | bytes, what: str) -> Any:
    """``json.loads``, with JSON nested beyond what the decoder can recurse refused
    (``INVALID_INPUT``) instead of escaping as a ``RecursionError``; invalid JSON still
    raises ``json.JSONDecodeError``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise Refused(400, RequestErrorCode.INVALID_INPUT, f"{what} is nested too deeply") from None


def check_request(data: object, limits: RequestLimits) -> None:
    """``Refused`` when a GraphQL request's query text or its variables (or extensions) are
    over their limits; anything that is not a request object is left to Strawberry."""
    if not isinstance(data, dict):
        return
    query = data.get("query")
    if isinstance(query, str) and len(query.encode("utf-8", "surrogatepass")) > (
        limits.max_query_bytes
    ):
        raise too_large("the query text", limits.max_query_bytes)
    for key in ("variables", "extensions"):
        _check_nesting(data.get(key), key, limits)


def _check_nesting(value: object, what: str, limits: RequestLimits) -> None:
    """Walk the value iteratively: no deeper than ``max_variables_depth`` containers, no more
    than ``max_variables_values`` values (deep JSON would otherwise recurse in coercion)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limits.max_variables_values:
            raise Refused(
                400,
                RequestErrorCode.INVALID_INPUT,
                f"{what} hold more than {limits.max_variables_values} values",
            )
        children: Any
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limits.max_variables_depth:
            raise Refused(
                400,
                RequestErrorCode.INVALID_INPUT,
                f"{what} are nested deeper than {limits.max_variables_depth} levels",
            )
        stack.extend((child, depth + 1) for child in children)


def cost_limits(settings: Settings) -> CostLimits:
    return CostLimits(
        max_depth=settings.max_query_depth,
        max_selections=settings.max_query_selections,
        max_aliases=settings.max_query_aliases,
        max_directives=settings.max_query_directives,
        max_mutation_fields=settings.max_mutation_fields,
        max_repeated_fields=settings.max_repeated_fields,
    )


# Validation results by (schema, document, rules): documents hash by their content.
VALIDATION_CACHE_SIZE = 256


@lru_cache(maxsize=VALIDATION_CACHE_SIZE)
def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    return validate_document(schema, document, rules)


class BoundedValidation(SchemaExtension):
    """Validation in two steps: the linear cost pass, and only if it passes, the rules.

    Replaces Strawberry's ``ValidationCache`` (which would run the rules unconditionally)
    and its depth and alias rules (which walk every path through the fragments).
    """

    def __init__(
        self, limits: CostLimits, extra_rules: tuple[type[ASTValidationRule], ...] = ()
    ) -> None:
        self.limits = limits
        # Added here rather than by Strawberry's AddValidationRules, whose operation hook a
        # subscription would keep open for its whole life.
        self.extra_rules = extra_rules

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        refusal = analyse(document, self.limits).refusal
        # Strawberry runs the first operation when none is named; the spec says refuse.
        if refusal is None and getattr(context, "_provided_operation_name", None) is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                refusal = Refusal(
                    RequestErrorCode.GRAPHQL_VALIDATION_FAILED,
                    "Must provide operation name if query contains multiple operations.",
                )
        if refusal is not None:
            context.pre_execution_errors = [
                GraphQLError(refusal.message, extensions={"code": refusal.code.value})
            ]
        else:
            rules = (*context.validation_rules, *self.extra_rules)
            context.pre_execution_errors = _validate(context.schema._schema, document, rules)
        yield


HTTP_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


async def execute_http(
    schema: BaseSchema,
    request_data: GraphQLRequestData,
    context: Any,
    root_value: Any,
    timeout_seconds: float,
) -> ExecutionResult:
    """Run one query or mutation within the execution budget. Subscriptions are refused (they
    live on the WebSocket), as is a document whose operation cannot be chosen."""
    try:
        async with asyncio.timeout(timeout_seconds):
            return await schema.execute(
                request_data.query,
                variable_values=request_data.variables,
                context_value=context,
                root_value=root_value,
                operation_name=request_data.operation_name,
                allowed_operation_types=HTTP_OPERATIONS,
                operation_extensions=request_data.extensions,
            )
    except CannotGetOperationTypeError as exc:
        raise Refused(400, RequestErrorCode.BAD_REQUEST, exc.as_http_error_reason()) from None
    except InvalidOperationTypeError:
        raise Refused(
            400,
            RequestErrorCode.BAD_REQUEST,
            "subscriptions run over WebSocket (graphql-transport-ws), not HTTP POST",
        ) from None
    except MissingQueryError:
        raise Refused(
            400, RequestErrorCode.BAD_REQUEST, "No GraphQL query found in the request"
        ) from None
    except TimeoutError:
        raise Refused(
            503,
            RequestErrorCode.TIMEOUT,
            f"the operation ran longer than {timeout_seconds:g} s and was stopped",
        ) from None
