"""bench/writes.py's load generator: closed-loop clients ask again as soon as they are
answered; open-loop clients send on a schedule and count latency from when a request was
due, so a server that falls behind shows it (no coordinated omission)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import writes

ANSWER_AFTER = 0.05  # the fake server's time per request, one at a time per connection


@pytest.fixture
async def slow_server() -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(ANSWER_AFTER)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


def _client() -> tuple[int, dict[str, object]]:
    return 0, {"token": "t", "messages": [], "channel": "c"}


async def test_closed_loop_latency_is_the_answer_time(slow_server: int) -> None:
    start = time.monotonic() + 0.6  # clients warm up for 0.5 s before the window
    latencies, errors, answered = await writes._generate(
        slow_server, "healthz", [_client()], (start, start + 0.5), None, 1
    )
    assert not errors
    assert answered == len(latencies) >= 8  # about 0.5 s / 0.05 s
    assert all(ANSWER_AFTER <= latency < ANSWER_AFTER * 3 for latency in latencies)


async def test_open_loop_counts_the_wait_behind_a_slow_answer(slow_server: int) -> None:
    """Offered 40/s to a connection that answers 20/s: each request is due 25 ms after the
    last but answered 50 ms after it, so latency grows by about 25 ms a request, and only
    about half the offered requests are answered within the window."""
    start = time.monotonic() + 0.6
    latencies, errors, answered = await writes._generate(
        slow_server, "healthz", [_client()], (start, start + 0.5), 40.0, 1
    )
    assert not errors
    assert len(latencies) in (20, 21)  # every request due in the window, sent and answered
    assert answered <= 12
    assert latencies == sorted(latencies)
    assert latencies[-1] > latencies[0] + 15 * 0.02  # the backlog shows in the latency
