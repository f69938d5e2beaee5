"""What a search's scope knows beyond its conditions, for a backend to plan with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from workchat.search.keys import ANY_KEY, KeyRange


@dataclass(frozen=True, slots=True)
class Hints:
    """Each may make a plan cheaper and none may change the results: the conditions judge."""

    # The range every match's search key lies in (date filters, with slack).
    keys: KeyRange = ANY_KEY
    # Conditions (among the conditions) that an index lists in search-key order, so that a
    # walk can read only those messages (has:reaction: the reacted ones).
    subset: tuple[ColumnElement[bool], ...] = ()
    # A SELECT of the keys of a small set of messages that holds every match (from: or in:
    # narrowed it), for SQLite's FTS5 walk to check matches against before joining rows.
    narrow: Any = None
    # The share of all messages the viewer's channels hold (PostgreSQL: a walk that meets
    # matches at this rate must go that much further).
    readable: float = 1.0


NO_HINTS = Hints()
