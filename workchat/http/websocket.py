"""uvicorn's ``websockets-sansio`` protocol with less held per idle socket.

A connected socket keeps its uvicorn protocol object for as long as it lives. uvicorn gives
it an ``asyncio.Queue`` for received messages (three deques) and an ``asyncio.Event`` for
back-pressure (one more), and keeps the handshake's request and response (with their
headers; the ASGI scope has its own copy of the request headers). For an idle subscriber
that was several KiB of the server's memory. Here the queue and the flag are the lean ones
(``workchat.lean_async``, allocated only while something is queued or waits) and the
handshake objects go once the socket is accepted. Behaviour is unchanged: the same frames,
the same back-pressure (``send`` waits while the transport is paused).
docs/adr/0020-subscription-fan-out.md.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from workchat.lean_async import LeanEvent, LeanQueue

# What ``workchat serve`` passes as uvicorn's ``ws`` option.
WEBSOCKET_PROTOCOL = "workchat.http.websocket:LeanWebSocketProtocol"


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = LeanQueue()  # type: ignore[assignment]
        self.writable = LeanEvent()  # type: ignore[assignment]
        self.writable.set()

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # Only the handshake needed them (the scope keeps the request headers). The
            # request stays referenced by the websockets parser's frame: emptied instead.
            self.request.headers.clear()
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]


class SocketRoute:
    """ASGI middleware: a WebSocket to ``path`` goes straight to ``endpoint``.

    Everything between the outer middleware (request id, header limits) and the endpoint
    lets a WebSocket through untouched (security headers, CORS and Starlette's error
    middleware act on HTTP only; the router only matches the path), yet each of those
    layers kept a coroutine frame, and Starlette's exception middleware a ``WebSocket`` and
    a closure, for the socket's whole life. Sockets to other paths, and all HTTP, take the
    regular way (docs/adr/0020-subscription-fan-out.md)."""

    def __init__(self, app: ASGIApp, *, path: str, endpoint: ASGIApp) -> None:
        self.app = app
        self.path = path
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == self.path:
            await self.endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)
