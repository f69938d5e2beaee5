"""The ASGI application: GraphQL (HTTP + WebSocket), health checks, the web client, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from workchat.events.retention import run_pruner
from workchat.graphql.schema import create_schema
from workchat.graphql.view import WorkchatGraphQL
from workchat.services import Services
from workchat.settings import Settings
from workchat.web import web_routes


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    services = services or Services.create(settings)
    graphql_app = WorkchatGraphQL(services, schema=create_schema(settings))

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

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
        # What start-up built (schema, metadata, compiled statements) lives as long as the
        # process: out of the collector's way, full collections no longer stall requests.
        gc.freeze()
        try:
            yield
        finally:
            for task in (pruner, presence):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await services.close()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql_app, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            WebSocketRoute("/graphql", graphql_app),
            *web_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
