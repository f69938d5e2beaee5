"""Speaking graphql-transport-ws to a live server, with every wait bounded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

PROTOCOL = "graphql-transport-ws"
# An upper bound on waiting for something that must come, never a latency check: a loaded CI
# machine once took over 5 s to acknowledge a connection_init.
TIMEOUT = 15.0


@asynccontextmanager
async def socket(server: str, subprotocol: str = PROTOCOL) -> AsyncIterator[ClientConnection]:
    async with connect(
        f"ws://{server}/graphql",
        subprotocols=[Subprotocol(subprotocol)],
        open_timeout=TIMEOUT,
    ) as ws:
        yield ws


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), timeout=TIMEOUT)
    return json.loads(raw)  # type: ignore[no-any-return]


async def closed_code(ws: ClientConnection) -> int | None:
    """Wait (bounded) for the server to close the socket; return its close code."""
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), timeout=TIMEOUT)
    return ws.close_code


async def connected(ws: ClientConnection, token: str) -> None:
    await send(ws, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    ack = await receive(ws)
    assert ack["type"] == "connection_ack"
    assert not ack.get("payload")
