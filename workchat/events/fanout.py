"""Results of subscription events shared by the subscribers of one group.

Subscribers whose operation, variables and permission scope are the same (their *group*,
decided in ``workchat.graphql.events.grouping``) get identical results for an event, so the
first one to reach the event executes it and the others await the same future. This module
only keeps those futures: keyed by (group, event), the newest ``size`` of them, each reused
for at most ``ttl_seconds`` so a late reader (a replay from a cursor) still sees the current
state of what it reads, as an unshared execution would. docs/adr/0020-subscription-fan-out.md.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from workchat.events.fanout_stats import FanoutStats

SHARED_RESULTS = 4096
SHARED_RESULT_TTL_SECONDS = 5.0


class Shared:
    """One execution's result, for the subscribers waiting on it and those that come later.

    Each waiter gets its own future: a waiter cancelled (its socket closed) cancels only
    that one, and nothing is removed from a shared list (``asyncio.shield`` per waiter costs
    O(waiters) per removal)."""

    __slots__ = ("_waiters", "done", "failed", "result")

    def __init__(self) -> None:
        self.done = False
        self.failed = False
        self.result: Any = None
        self._waiters: list[asyncio.Future[Any]] = []

    async def wait(self) -> Any:
        """The result; ``Shared.Failed`` when the execution did not finish."""
        if not self.done:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter
        if self.failed:
            raise Shared.Failed
        return self.result

    def finish(self, result: Any) -> None:
        self.result = result
        self._release()

    def fail(self) -> None:
        self.failed = True
        self._release()

    def _release(self) -> None:
        self.done = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    class Failed(Exception):
        """The subscriber that executed went away first: execute for yourself."""


class SharedResults:
    def __init__(self, size: int = SHARED_RESULTS, ttl_seconds: float = SHARED_RESULT_TTL_SECONDS):
        self._size = size
        self._ttl = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, Shared]] = OrderedDict()

    def get(self, key: Hashable) -> Shared | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry[0] > self._ttl:
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: Hashable, shared: Shared) -> None:
        self._entries[key] = (time.monotonic(), shared)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def discard(self, key: Hashable, shared: Shared) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry[1] is shared:
            del self._entries[key]


@dataclass
class Fanout:
    """Per process: whether events are executed once per group, the shared results, the
    counters, and the groups delivered by one task each (workchat.graphql.events.delivery,
    by group key and channel)."""

    enabled: bool = True
    stats: FanoutStats = field(default_factory=FanoutStats)
    results: SharedResults = field(default_factory=SharedResults)
    groups: dict[Hashable, Any] = field(default_factory=dict)
