"""The garbage collector's policy for a long-running server with many open sockets.

Two things make CPython's default policy costly here:

- What start-up builds (the schema, SQLAlchemy metadata, compiled statements) lives as long
  as the process, yet every full collection walks it again. Frozen, it is never walked.
- Every open socket holds a few hundred container objects. A collection of the youngest
  generation runs after 700 net new container allocations, and every tenth of those also
  walks the middle generation. Delivering one message to 5,000 sockets allocates far more
  than 700, so collections fell inside the delivery, and with the default thresholds one
  message in ten reached its last subscriber ~100 ms later than the others
  (``bench/fanout.py --sizes 5000``: p99 202-204 ms with the default, 119 ms with 20,000;
  ADR 0020). A larger first threshold makes those collections rarer (each costs about the
  same: its cost is the objects that survive, and those are few). The memory it may hold
  back is at most that many young objects, a few MiB.
"""

from __future__ import annotations

import gc

# Net new container objects between collections of the youngest generation (default 700).
YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Call once start-up is done: freeze what it built and space out young collections.
    The older generations keep their default ratios."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    gc.freeze()
