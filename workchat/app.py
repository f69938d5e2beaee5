"""The ASGI application: GraphQL (HTTP + WebSocket), MCP (streamable HTTP), health checks,
metrics, the web client, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from workchat import collector, metrics
from workchat.audit_anchor import checkpoint_key, run_checkpointer
from workchat.events.retention import run_pruner
from workchat.graphql.limits import HeaderLimit
from workchat.graphql.schema import create_schema
from workchat.graphql.view import WorkchatGraphQL
from workchat.graphql.ws_frames import RawSocketAccess
from workchat.http.headers import SecurityHeaders, cors
from workchat.http.observe import RequestObserver
from workchat.http.websocket import SocketRoute
from workchat.mcp.http import McpEndpoint
from workchat.services import Services
from workchat.settings import Settings
from workchat.web import web_routes


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    services = services or Services.create(settings)
    schema = create_schema(settings)
    graphql_app = WorkchatGraphQL(services, schema=schema)
    mcp = McpEndpoint(services, schema)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def metrics_endpoint(request: Request) -> Response:
        # Off (404) unless a token is set; compared in constant time.
        token = settings.metrics_token
        supplied = request.headers.get("authorization", "")
        if not token or not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)

    async def readyz(_: Request) -> Response:
        if await services.db.ping():
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await services.start()
        pruner = None
        if settings.event_prune_interval_seconds > 0:
            pruner = asyncio.create_task(run_pruner(services.db, settings))
        presence = asyncio.create_task(services.presence.run())
        checkpointer = None
        if settings.audit_checkpoint_interval_seconds > 0:
            # The key is read now, so a missing or short key stops the start, loudly.
            key = checkpoint_key(settings)
            checkpointer = asyncio.create_task(run_checkpointer(services.db, settings, key))
        # What start-up built is frozen; young collections spaced out (workchat.collector).
        collector.settle()
        try:
            async with mcp.lifespan():  # MCP sessions end before the services close
                yield
        finally:
            for task in (pruner, presence, checkpointer):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await services.close()
            metrics.process_exited(os.getpid())

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/graphql", graphql_app, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/mcp", mcp.app, methods=["GET", "POST", "DELETE"]),
            *web_routes(),
        ],
        lifespan=lifespan,
        # Outermost first: CORS answers preflights, and those get the headers too.
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(cors, allowed_origins=settings.allowed_origins),
        ],
    )
    # Just inside the limits below: a GraphQL socket skips the layers that let it through
    # untouched anyway (each held a frame for the socket's life).
    app.add_middleware(SocketRoute, path="/graphql", endpoint=graphql_app)
    # Outermost: oversized headers or a declared oversized body are refused before routing.
    app.add_middleware(HeaderLimit, settings=settings)
    # Outermost of all: even the size refusals get a request id, a log line and metrics.
    app.add_middleware(RequestObserver)
    # Outside even that, for WebSockets only: the uvicorn protocol behind the socket, so a
    # subscription's pre-encoded frames can go straight to its transport (ws_frames).
    app.add_middleware(RawSocketAccess)
    app.state.services = services
    app.state.mcp = mcp  # tests without the app's lifespan run the MCP one themselves
    return app
