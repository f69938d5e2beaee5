"""Search keys: unique, roughly time-ordered 63-bit integers for the search index."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

RANDOM_BITS = 11  # ~2,000 keys per microsecond before a collision becomes likely
# Date filters bound the keys this far beyond their day: a key's time bits are the message's
# created_at (and were within microseconds of it before keys were taken from it exactly).
SLACK_MICROS = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros_since_epoch(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def search_key(at: datetime | None = None) -> int:
    """Microseconds since the epoch (of ``at``, else now), then random low bits. Newer
    messages get larger keys, so the index can walk matches newest first. Fits in a signed
    BIGINT until about 2100."""
    micros = time.time_ns() // 1000 if at is None else micros_since_epoch(at)
    return (micros << RANDOM_BITS) | secrets.randbits(RANDOM_BITS)


def first_key(moment: datetime) -> int:
    """The smallest key a message created at ``moment`` can have."""
    return micros_since_epoch(moment) << RANDOM_BITS


@dataclass(frozen=True, slots=True)
class KeyRange:
    """Keys from ``lower`` (inclusive) to ``upper`` (exclusive); None leaves a side open.

    Date filters become a key range, which the index walks directly (FTS5 seeks to a rowid,
    PostgreSQL scans a B-tree range) instead of testing created_at on every newer match.
    """

    lower: int | None = None
    upper: int | None = None

    @classmethod
    def between(cls, start: datetime | None, end: datetime | None) -> KeyRange:
        """A range that holds every message created in [start, end), with slack."""
        slack = SLACK_MICROS << RANDOM_BITS
        return cls(
            None if start is None else first_key(start) - slack,
            None if end is None else first_key(end) + slack,
        )

    def __and__(self, other: KeyRange) -> KeyRange:
        lowers = [k for k in (self.lower, other.lower) if k is not None]
        uppers = [k for k in (self.upper, other.upper) if k is not None]
        return KeyRange(max(lowers, default=None), min(uppers, default=None))

    @property
    def empty(self) -> bool:
        return self.lower is not None and self.upper is not None and self.lower >= self.upper

    def conditions(
        self, key: ColumnElement[Any] | InstrumentedAttribute[int]
    ) -> list[ColumnElement[bool]]:
        bounds: list[ColumnElement[bool]] = []
        if self.lower is not None:
            bounds.append(key >= self.lower)
        if self.upper is not None:
            bounds.append(key < self.upper)
        return bounds


ANY_KEY = KeyRange()
