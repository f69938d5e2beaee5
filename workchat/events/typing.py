"""Typing indicators: at most one per user per channel every few seconds, per process."""

from __future__ import annotations

import time
import uuid

# A client sends setTyping as often as keys are pressed; subscribers need one every few
# seconds, and each indicator lasts a little longer than that.
TYPING_INTERVAL_SECONDS = 3.0
TYPING_LIFETIME_SECONDS = 6.0
_MAX_TRACKED = 10_000


class TypingThrottle:
    """Remembers when each (user, channel) last announced typing in this process."""

    def __init__(self, interval: float = TYPING_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._last: dict[tuple[uuid.UUID, uuid.UUID], float] = {}

    def allow(self, user_id: uuid.UUID, channel_id: uuid.UUID) -> bool:
        """True (and remembered) when this user's last announcement here is old enough."""
        now = time.monotonic()
        key = (user_id, channel_id)
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            return False
        if len(self._last) >= _MAX_TRACKED:
            self._forget_older_than(now - self.interval)
        self._last[key] = now
        return True

    def _forget_older_than(self, moment: float) -> None:
        self._last = {key: at for key, at in self._last.items() if at >= moment}
