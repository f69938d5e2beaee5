"""Search keys: unique, roughly time-ordered 63-bit integers for the search index."""

from __future__ import annotations

import secrets
import time

RANDOM_BITS = 11  # ~2,000 keys per microsecond before a collision becomes likely


def search_key(at_ns: int | None = None) -> int:
    """Microseconds since the epoch, then random low bits. Newer messages get larger keys, so
    the index can walk matches newest first. Fits in a signed BIGINT until about 2100."""
    micros = (time.time_ns() if at_ns is None else at_ns) // 1000
    return (micros << RANDOM_BITS) | secrets.randbits(RANDOM_BITS)
