"""Streamable HTTP at ``/mcp``: each request carries an API token as ``Authorization:
Bearer``, and Host/Origin are checked against the server's own addresses and
``WORKCHAT_ALLOWED_ORIGINS`` (a web page elsewhere cannot drive an agent's session).

The tools authenticate the token of the request they serve (``LocalExecutor``); the gate
below only refuses requests without a usable API token before they open an MCP session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import strawberry
from fastmcp.server.dependencies import get_http_request
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from workchat.auth.authenticate import AuthenticationFailed, authenticate
from workchat.auth.secrets import API_TOKEN_PREFIX
from workchat.mcp.executor import FIX_TOKEN, LocalExecutor
from workchat.mcp.server import create_server
from workchat.services import Services


def bearer(value: str | None) -> str | None:
    scheme, _, token = (value or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _request_credential() -> str | None:
    try:
        return bearer(get_http_request().headers.get("authorization"))
    except RuntimeError:  # not inside an HTTP request
        return None


class ApiTokenGate:
    """401 unless the request presents a live API token (session tokens are for people)."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credential = bearer(Request(scope).headers.get("authorization"))
        problem = None
        if credential is None or not credential.startswith(API_TOKEN_PREFIX):
            problem = "an API token is required"
        else:
            try:
                await authenticate(self.services.db, self.services.settings, credential, via="mcp")
            except AuthenticationFailed as exc:
                problem = str(exc)
        if problem is not None:
            response = JSONResponse(
                {"error": "UNAUTHENTICATED", "message": f"{problem}. {FIX_TOKEN}"},
                status_code=401,
                headers={"www-authenticate": 'Bearer realm="workchat"'},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class McpEndpoint:
    """The ASGI app to route at ``path`` and the lifespan its session manager needs."""

    def __init__(self, services: Services, schema: strawberry.Schema, path: str = "/mcp") -> None:
        server = create_server(LocalExecutor(services, schema, _request_credential))
        origins = list(services.settings.allowed_origins)
        hosts = [host for host in (urlsplit(origin).netloc for origin in origins) if host]
        self.app = server.http_app(
            path=path,
            middleware=[Middleware(ApiTokenGate, services=services)],
            # Strict: every request's Host must be this server (loopback, its bound address)
            # or an allowed origin's host, and a browser Origin must be allowed.
            host_origin_protection=True,
            allowed_hosts=hosts,
            allowed_origins=origins,
        )

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Runs the MCP session manager; requests fail until it runs."""
        async with self.app.router.lifespan_context(self.app):
            yield
