"""Metrics and the log line of each GraphQL operation (HTTP, WebSocket and MCP alike).

Runs first among the schema extensions, so it finishes last: the errors it reads already
carry their codes (``ErrorCodes``). An HTTP request's line is written by the HTTP middleware
(``workchat.http.observe``), which gets the operation's fields from the request scope; a
WebSocket operation or an MCP tool call has no such line, so it is logged here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from workchat import metrics
from workchat.logs import ACCESS, OPERATION_KEY, REQUEST_ID_KEY


def outcome_of(result: object) -> str:
    """``ok``, or the first error's code (a closed set, so a bounded label)."""
    errors = getattr(result, "errors", None)
    if not errors:
        return "ok"
    code = (getattr(errors[0], "extensions", None) or {}).get("code")
    return code if isinstance(code, str) and code.isupper() and len(code) <= 40 else "error"


def operation_kind(execution_context: Any) -> str:
    """``query``/``mutation``/``subscription``; ``unknown`` before a document parsed (the
    property raises then, and an extension must never turn a request error into another)."""
    try:
        kind = execution_context.operation_type
    except Exception:
        return "unknown"
    return kind.value if isinstance(kind, OperationType) else "unknown"


class OperationObserver(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        self._subscribed = False
        try:
            yield
        finally:
            self._finish(time.perf_counter() - started)

    def on_execute(self) -> Iterator[None]:
        if operation_kind(self.execution_context) == "subscription":
            self._subscribed = True
            metrics.SUBSCRIPTIONS_ACTIVE.inc()
        yield

    def _finish(self, seconds: float) -> None:
        if self._subscribed:
            metrics.SUBSCRIPTIONS_ACTIVE.dec()
        ctx = self.execution_context
        kind = operation_kind(ctx)
        try:
            name = metrics.operation_label(ctx.operation_name)
        except Exception:  # no document to take the name from
            name = metrics.UNNAMED
        outcome = outcome_of(ctx.result)
        metrics.OPERATIONS.labels(name, kind, outcome).inc()
        if kind != "subscription":
            metrics.OPERATION_DURATION.labels(name, kind).observe(seconds)
        context = ctx.context
        viewer = getattr(context, "viewer", None)
        user_id = getattr(viewer, "user_id", None)
        fields: dict[str, Any] = {
            "operation": name,
            "operation_type": kind,
            "viewer_id": str(user_id) if user_id is not None else None,
            "outcome": outcome,
        }
        request = getattr(context, "request", None)
        scope = getattr(request, "scope", None)
        if (
            isinstance(scope, dict)
            and scope.get("type") == "http"
            and REQUEST_ID_KEY in scope.get("state", {})
        ):
            scope["state"][OPERATION_KEY] = fields  # the HTTP request's line carries them
            return
        is_socket = isinstance(scope, dict) and scope.get("type") == "websocket"
        transport = "websocket" if is_socket else "mcp"
        fields.update(
            request_id=getattr(context, "request_id", None),
            transport=transport,
            duration_ms=round(seconds * 1000, 2),
        )
        ACCESS.info("graphql %s %s %s", kind, name, outcome, extra={"fields": fields})
