"""Per-request context: services, the authenticated viewer, and this request's DataLoaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from workchat.auth.viewer import Viewer, anonymous
from workchat.errors import Unauthenticated
from workchat.graphql.loaders import Loaders
from workchat.services import Services


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    services: Services
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    viewer: Viewer = field(default_factory=anonymous)
    # Why a presented credential was refused; reported when a field needs a viewer.
    auth_error: str | None = None
    # graphql-transport-ws puts the connection_init payload here.
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.services, lambda: self.viewer)

    def require_viewer(self) -> Viewer:
        if not self.viewer.is_authenticated:
            raise Unauthenticated(self.auth_error or "authentication required")
        return self.viewer

    def acting(self, operation: str) -> Viewer:
        """The viewer as recorded in audit entries for this operation."""
        return self.viewer.with_request(operation=operation, request_id=self.request_id)
