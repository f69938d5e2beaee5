"""get_updates: a long-poll over ``joinedChannelEvents``, exactly once across calls."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from workchat.mcp import models as m
from workchat.mcp.executor import Data, Executor

# How long a call keeps collecting once events flow: the backlog after `after` arrives in one
# burst, so one call returns it whole instead of one event per call.
BURST_SECONDS = 0.2
MAX_UPDATES = 100


async def collect_updates(
    executor: Executor, after: str, wait_seconds: float, tool: str
) -> m.Updates:
    """Events after ``after``: wait up to ``wait_seconds`` for the first, then take the burst that
    follows it. The returned cursor is the last event returned, so the next call resumes
    exactly after it (what was not taken is replayed then)."""
    queue: asyncio.Queue[Data | BaseException | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            stream: AsyncIterator[Data] = executor.subscribe("Updates", {"after": after}, tool=tool)
            async for item in stream:
                await queue.put(item)
        except Exception as exc:  # handed to the caller, which raises it
            await queue.put(exc)
        await queue.put(None)

    task = asyncio.create_task(pump())
    events: list[m.Update] = []
    cursor = after
    try:
        wait: float = wait_seconds
        while len(events) < MAX_UPDATES:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=wait)
            except TimeoutError:
                break
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            node = item["joinedChannelEvents"]
            if node["__typename"] == "ResyncRequired":
                return m.Updates(
                    cursor=await _head(executor, tool),
                    events=events,
                    resync_required=node["reason"],
                )
            update = m.update(node)
            events.append(update)
            cursor = update.cursor
            wait = BURST_SECONDS
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    return m.Updates(cursor=cursor, events=events)


async def _head(executor: Executor, tool: str) -> str:
    return str((await executor.execute("EventCursor", {}, tool=tool))["eventCursor"])
