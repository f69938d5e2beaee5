"""How often subscription events are executed, per event and in total.

A small counter object with no dependencies, so tests (and a metrics exporter) can read it
without knowing how subscriptions are grouped. An "execution" is one run of a
subscription's selection set for one event; a "reuse" is a subscriber served the result
(and the encoded frame) of an execution another subscriber of its group caused.
"""

from __future__ import annotations

from collections import OrderedDict

# Events whose per-event counts are kept (the newest ones; totals never forget).
TRACKED_EVENTS = 4096


class FanoutStats:
    def __init__(self, tracked_events: int = TRACKED_EVENTS) -> None:
        self.executions_total = 0
        self.reuses_total = 0
        self._tracked = tracked_events
        self._per_event: OrderedDict[str, int] = OrderedDict()

    def executed(self, event_key: str) -> None:
        """One execution of a selection set for the event ``event_key`` (its cursor)."""
        self.executions_total += 1
        count = self._per_event.pop(event_key, 0) + 1
        self._per_event[event_key] = count
        if len(self._per_event) > self._tracked:
            self._per_event.popitem(last=False)

    def reused(self, subscribers: int = 1) -> None:
        """Subscribers served an execution that was shared with their group."""
        self.reuses_total += subscribers

    def executions_for(self, event_key: str) -> int:
        """Executions so far for one event (0 for an event never executed or forgotten)."""
        return self._per_event.get(event_key, 0)

    def snapshot(self) -> dict[str, int]:
        return {"executions_total": self.executions_total, "reuses_total": self.reuses_total}
