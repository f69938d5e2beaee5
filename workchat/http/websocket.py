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
