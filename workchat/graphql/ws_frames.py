"""Pre-encoded subscription results written straight to a WebSocket's transport.

A group's result (``workchat.graphql.events.grouping``) is the same bytes for every
subscriber but the operation id. Sending it through Starlette and uvicorn costs, per socket,
an ASGI message, two wrapping coroutines and the ``websockets`` protocol building a frame
object. Here the frame is built once per (result, operation id) and handed to the socket's
transport: an unmasked server text frame needs only a header in front of the text.

That is only done when it is exactly what the regular send would write: the socket is
served by uvicorn's ``websockets-sansio`` protocol (``RawSocketAccess`` finds it), its
handshake is complete, nothing closed it, no extension (per-message compression) was
negotiated, and its transport is not paused for back-pressure. Otherwise the caller sends
the regular way, which waits while the transport is paused (the slow-consumer rule of
ADR 0010). docs/adr/0020-subscription-fan-out.md.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import orjson
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# Where RawSocketAccess leaves a WebSocket's uvicorn protocol in the ASGI scope.
RAW_SOCKET = "workchat.raw_socket"
_TEXT_FIN = 0x81


class RawSocketAccess:
    """Outermost ASGI middleware: remembers the uvicorn protocol serving a WebSocket (the
    ``send`` callable uvicorn hands the app is a method of it)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            protocol = getattr(send, "__self__", None)
            if isinstance(protocol, WebSocketsSansIOProtocol):
                scope[RAW_SOCKET] = protocol
        await self.app(scope, receive, send)


def next_prefix(operation_id: str) -> bytes:
    """The start of an operation's ``next`` message; the payload and ``}`` follow."""
    return b'{"id":' + orjson.dumps(operation_id) + b',"type":"next","payload":'


def next_message(prefix: bytes, payload: bytes) -> bytes:
    return prefix + payload + b"}"


def text_frame(message: bytes) -> bytes:
    """An unmasked, unfragmented text frame (RFC 6455 §5.2) carrying ``message``."""
    size = len(message)
    if size < 126:
        header = bytes((_TEXT_FIN, size))
    elif size < 65536:
        header = bytes((_TEXT_FIN, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((_TEXT_FIN, 127)) + size.to_bytes(8, "big")
    return header + message


def writable(protocol: WebSocketsSansIOProtocol | None) -> bool:
    """Whether a frame written now goes out exactly as the regular send would write it."""
    return (
        protocol is not None
        and protocol.handshake_complete
        and not protocol.close_sent
        and not protocol.disconnected
        and protocol.initial_response is None
        and protocol.writable.is_set()
        and not protocol.conn.extensions
        and not protocol.transport.is_closing()
    )


def write_frame(protocol: WebSocketsSansIOProtocol | None, frame: bytes) -> bool:
    """Write ``frame`` now; False when the caller must send the regular way instead."""
    if not writable(protocol):
        return False
    assert protocol is not None
    protocol.transport.write(frame)
    return True


class OperationSink:
    """Where one operation's pre-encoded results go: straight to the transport when it can
    take them now (``write_now``), else through the regular send (``send``, which waits while
    the transport is paused)."""

    __slots__ = ("_handler", "_operation", "_raw", "prefix")

    def __init__(self, handler: Any, operation: Any) -> None:
        self._handler = handler
        self._operation = operation
        self._raw = getattr(handler.context.request, "scope", {}).get(RAW_SOCKET)
        self.prefix = next_prefix(operation.id)

    def live(self) -> bool:
        """Not completed by either side (an id can be reused right after a ``complete``)."""
        operation = self._operation
        return not operation.completed and self._handler.operations.get(operation.id) is operation

    def write_now(self, payload: bytes, frames: dict[bytes, bytes] | None = None) -> bool:
        """Write the ``next`` frame for ``payload`` now; False when ``send`` must do it.
        ``frames`` caches frames by operation id for one payload (ids repeat across sockets)."""
        if not self.live():
            return True  # nobody to send to
        raw = self._raw
        if raw is None or not writable(raw):
            return False
        frame = frames.get(self.prefix) if frames is not None else None
        if frame is None:
            frame = text_frame(next_message(self.prefix, payload))
            if frames is not None:
                frames[self.prefix] = frame
        raw.transport.write(frame)
        return True

    async def send(self, payload: bytes) -> None:
        if self.live():
            await self._handler.send_text(next_message(self.prefix, payload).decode())


# The running operation's sink, set in its own task (so its subscription resolver sees it).
CURRENT_SINK: ContextVar[OperationSink | None] = ContextVar("workchat_sink", default=None)
