"""Request ids, one log line and metrics per HTTP request; the WebSocket gauge.

Outermost middleware, so every response carries ``X-Request-ID`` — refusals of the size
limits and of the GraphQL view (400/405/413/415/431) included. The id is the server's own
(docs/adr/0015-input-text-rule-and-http-headers.md); the GraphQL view reads it from the
scope (``request_id_of``), so the header, the log line, audit entries and ``INTERNAL``
errors name the same id. A well-formed client ``X-Request-ID`` is logged beside it.

The GraphQL view leaves what it learned (operation name, viewer, outcome) in
``scope["state"][OPERATION_KEY]``; the line logged here carries it, so an HTTP request makes
exactly one line. WebSocket operations are logged one line each by the schema extension
(``workchat.graphql.observe``).
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workchat import metrics
from workchat.logs import ACCESS, OPERATION_KEY, request_id_of

CLIENT_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if CLIENT_REQUEST_ID_RE.match(text) else None
    return None


class RequestObserver:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            request_id_of(scope)
            metrics.WEBSOCKETS_ACTIVE.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                metrics.WEBSOCKETS_ACTIVE.dec()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, request_id, status, time.perf_counter() - started)

    @staticmethod
    def _record(scope: Scope, request_id: str, status: int, seconds: float) -> None:
        path = scope.get("path", "")
        route = metrics.route_label(path)
        metrics.HTTP_REQUESTS.labels(route, str(status)).inc()
        metrics.HTTP_DURATION.labels(route).observe(seconds)
        if route in ("healthz", "readyz", "metrics"):
            return  # probes and scrapes every few seconds would drown the log
        fields: dict[str, Any] = {
            "request_id": request_id,
            "client_request_id": client_request_id(scope),
            "method": scope.get("method"),
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        fields.update(scope.get("state", {}).get(OPERATION_KEY) or {})
        ACCESS.info("%s %s %s", scope.get("method"), path, status, extra={"fields": fields})
