"""Running the tools' GraphQL operations: in process through the schema, or against a remote
workchat server (``--url``). Both turn every failure into a ``ToolError`` an agent can act on.

In process, each call authenticates the credential afresh (a revoked token stops working at
once) with ``via="mcp"``, and the context records the tool's name as the operation, so the
audit entry of a tool call says which tool did it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Protocol

import strawberry
from fastmcp.exceptions import ToolError
from graphql import GraphQLError
from starlette.requests import Request

from workchat.auth.authenticate import AuthenticationFailed, authenticate
from workchat.auth.secrets import API_TOKEN_PREFIX
from workchat.auth.viewer import Viewer
from workchat.graphql.context import Context
from workchat.mcp.operations import source
from workchat.services import Services

Data = dict[str, Any]
Variables = Mapping[str, Any]

FIX_TOKEN = (
    f"Use a live workchat API token (it starts with {API_TOKEN_PREFIX}; create one with "
    "`workchat create-api-token` or an admin's createApiToken mutation) in WORKCHAT_TOKEN for "
    "stdio, or as 'Authorization: Bearer <token>' over HTTP."
)
NO_TOKEN = f"UNAUTHENTICATED: no API token was given. {FIX_TOKEN}"


class Executor(Protocol):
    """Runs one named operation of ``operations.graphql`` for one tool call."""

    async def execute(self, operation: str, variables: Variables, *, tool: str) -> Data: ...

    def subscribe(
        self, operation: str, variables: Variables, *, tool: str
    ) -> AsyncIterator[Data]: ...


def failure(text: str) -> ToolError:
    """An expected failure for the agent: logged at INFO, not as a server error."""
    return ToolError(text, log_level=logging.INFO)


def tool_error(errors: list[Mapping[str, Any]]) -> ToolError:
    """A top-level GraphQL error as ``CODE: message`` (first error; they share a cause)."""
    first = errors[0]
    extensions = first.get("extensions") or {}
    code = str(extensions.get("code") or "INTERNAL")
    message = str(first.get("message") or "request failed")
    if code == "UNAUTHENTICATED":
        return failure(f"UNAUTHENTICATED: {message}. {FIX_TOKEN}")
    if code == "INTERNAL":
        request_id = extensions.get("requestId")
        return failure(f"INTERNAL: the server failed (request id {request_id})")
    return failure(f"{code}: {message}")


def _formatted(errors: list[GraphQLError]) -> list[Mapping[str, Any]]:
    return [error.formatted for error in errors]


@dataclass
class McpContext(Context):
    """The GraphQL context of one tool call: the tool's name is the audited operation."""

    tool: str = ""

    def acting(self, operation: str) -> Viewer:
        return self.viewer.with_request(operation=self.tool, request_id=self.request_id)


def _request() -> Request:
    # Resolvers may look at the transport (a WebSocket gets presence); a tool call has none.
    return Request({"type": "http", "method": "POST", "path": "/mcp", "headers": []})


class LocalExecutor:
    """In process, as the user of the API token that ``credential()`` returns."""

    def __init__(
        self,
        services: Services,
        schema: strawberry.Schema,
        credential: Callable[[], str | None],
    ) -> None:
        self.services = services
        self.schema = schema
        self.credential = credential

    async def _context(self, tool: str) -> McpContext:
        credential = self.credential()
        if not credential:
            raise failure(NO_TOKEN)
        request_id = uuid.uuid4().hex
        try:
            viewer = await authenticate(
                self.services.db,
                self.services.settings,
                credential,
                via="mcp",
                request_id=request_id,
            )
        except AuthenticationFailed as exc:
            raise failure(f"UNAUTHENTICATED: {exc}. {FIX_TOKEN}") from None
        return McpContext(
            request=_request(),
            response=None,
            services=self.services,
            request_id=request_id,
            viewer=viewer,
            tool=tool,
        )

    async def execute(self, operation: str, variables: Variables, *, tool: str) -> Data:
        context = await self._context(tool)
        result = await self.schema.execute(
            source(operation),
            variable_values=dict(variables),
            context_value=context,
            operation_name=operation,
        )
        if result.errors:
            raise tool_error(_formatted(result.errors))
        return dict(result.data or {})

    async def subscribe(
        self, operation: str, variables: Variables, *, tool: str
    ) -> AsyncIterator[Data]:
        context = await self._context(tool)
        stream = await self.schema.subscribe(
            source(operation),
            variable_values=dict(variables),
            context_value=context,
            operation_name=operation,
        )
        if not hasattr(stream, "__aiter__"):  # refused before it started
            errors = getattr(stream, "errors", None) or [GraphQLError("subscription refused")]
            raise tool_error(_formatted(errors))
        async with aclosing(stream) as results:
            async for result in results:
                if result.errors:
                    raise tool_error(_formatted(result.errors))
                yield dict(result.data or {})


class RemoteExecutor:
    """Against a workchat server's ``/graphql``: HTTP POST, and graphql-transport-ws for the
    one subscription, with the API token as bearer."""

    def __init__(self, url: str, token: str | None, *, timeout: float = 30.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    def _token(self) -> str:
        if not self.token:
            raise failure(NO_TOKEN)
        return self.token

    async def execute(self, operation: str, variables: Variables, *, tool: str) -> Data:
        import httpx2

        payload = {
            "query": source(operation),
            "variables": dict(variables),
            "operationName": operation,
        }
        headers = {"authorization": f"Bearer {self._token()}"}
        try:
            async with httpx2.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, json=payload, headers=headers)
            body = response.json()
        except (httpx2.HTTPError, ValueError) as exc:
            raise failure(f"UNAVAILABLE: cannot reach {self.url} ({type(exc).__name__})") from None
        if not isinstance(body, dict):
            raise failure(f"UNAVAILABLE: {self.url} did not answer with GraphQL JSON")
        if body.get("errors"):
            raise tool_error(body["errors"])
        return dict(body.get("data") or {})

    async def subscribe(
        self, operation: str, variables: Variables, *, tool: str
    ) -> AsyncIterator[Data]:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        ws_url = "ws" + self.url.removeprefix("http")
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {self._token()}"}}
        subscribe = {
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": source(operation),
                "variables": dict(variables),
                "operationName": operation,
            },
        }
        try:
            async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
                await ws.send(json.dumps(init))
                while json.loads(await ws.recv()).get("type") != "connection_ack":
                    pass
                await ws.send(json.dumps(subscribe))
                async for raw in ws:
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif kind == "next":
                        if message["payload"].get("errors"):
                            raise tool_error(message["payload"]["errors"])
                        yield dict(message["payload"].get("data") or {})
                    elif kind == "error":
                        raise tool_error(message.get("payload") or [])
                    elif kind == "complete":
                        return
        except WebSocketException as exc:
            if getattr(getattr(exc, "rcvd", None), "code", None) == 4403:
                raise failure(
                    f"UNAUTHENTICATED: the server refused the token. {FIX_TOKEN}"
                ) from None
            raise failure(f"UNAVAILABLE: lost the connection to {ws_url}") from None
        except OSError:
            raise failure(f"UNAVAILABLE: cannot reach {ws_url}") from None
