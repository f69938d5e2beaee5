"""Per-request context: services, the authenticated viewer, and the current operation's
DataLoaders.

Over WebSocket one ``Context`` serves every operation on the socket, and Strawberry runs each
operation in its own task. DataLoaders cache rows (memberships, channels), so they must not
live as long as the context: ``OperationLoaders`` (a schema extension) opens ``operation()``
around each operation, which puts fresh loaders in a ContextVar — task-local, so operations
running side by side on one socket never share or replace each other's loaders.
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from workchat.auth.viewer import Viewer, anonymous
from workchat.errors import Unauthenticated
from workchat.graphql.loaders import Loaders
from workchat.services import Services


# Slots: one per socket, for as long as it lives.
@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    services: Services
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # The client's X-Request-ID when well-formed (REQUEST_ID_RE); only ever logged.
    client_request_id: str | None = None
    viewer: Viewer = field(default_factory=anonymous)
    # Why a presented credential was refused; reported when a field needs a viewer.
    auth_error: str | None = None
    # graphql-transport-ws puts the connection_init payload here.
    connection_params: dict[str, Any] | None = None

    @property
    def loaders(self) -> Loaders:
        """The running operation's loaders (batching and caching last one operation)."""
        return self._operation().loaders

    def fresh_loaders(self) -> Loaders:
        """Drop everything the running operation's loaders cached and start new ones.

        A subscription calls this for each event, before it loads anything for that event
        (its own checks or the event's selection set): an event must not be answered from
        rows read for an earlier one, e.g. a membership the viewer has since lost. Only the
        calling operation is affected.
        """
        operation = self._operation()
        operation.loaders = self._new_loaders()
        return operation.loaders

    def drop_loaders(self) -> None:
        """``fresh_loaders`` without building them now: the next use of ``loaders`` does.
        A subscriber whose event result is shared with its group (ADR 0020) then builds
        none at all for that event."""
        self._operation().loaders = None

    def operation(self) -> _OperationScope:
        """Scope one GraphQL operation: ``loaders`` are fresh inside and gone after."""
        return _OperationScope(self)

    def _new_loaders(self) -> Loaders:
        # The viewer is read at load time, never captured when the loaders are built.
        return Loaders(self.services, lambda: self.viewer)

    def _operation(self) -> _Operation:
        operation = _current.get()
        if operation is None or operation.context is not self:
            raise RuntimeError("DataLoaders exist only while an operation on this context runs")
        return operation

    def require_viewer(self) -> Viewer:
        if not self.viewer.is_authenticated:
            raise Unauthenticated(self.auth_error or "authentication required")
        return self.viewer

    def acting(self, operation: str) -> Viewer:
        """The viewer as recorded in audit entries for this operation."""
        return self.viewer.with_request(operation=operation, request_id=self.request_id)


class _OperationScope:
    """``Context.operation()``: a plain context manager, not a generator, since a
    subscription holds it open for as long as it lives (ADR 0020)."""

    __slots__ = ("_context", "_token")

    def __init__(self, context: Context) -> None:
        self._context = context
        self._token: Token[_Operation | None] | None = None

    def __enter__(self) -> None:
        self._token = _current.set(_Operation(self._context))

    def __exit__(self, *_: object) -> None:
        token, self._token = self._token, None
        if token is not None:
            # A stream finalized from another task cannot reset this task's value; that
            # task's context (and the value with it) has ended anyway.
            with suppress(ValueError):
                _current.reset(token)


class _Operation:
    """One operation's DataLoaders, built on first use."""

    __slots__ = ("_loaders", "context")

    def __init__(self, context: Context, loaders: Loaders | None = None) -> None:
        self.context = context
        self._loaders = loaders

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = self.context._new_loaders()
        return self._loaders

    @loaders.setter
    def loaders(self, loaders: Loaders | None) -> None:
        self._loaders = loaders


_current: ContextVar[_Operation | None] = ContextVar("workchat_graphql_operation", default=None)
