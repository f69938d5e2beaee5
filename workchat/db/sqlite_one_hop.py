"""One trip to aiosqlite's thread per SQLite statement, instead of four.

aiosqlite runs every call on its connection's own thread, and SQLAlchemy's adapter makes
one call each to open a cursor, execute, fetch the rows and close the cursor. Each call is a
queue hand-off to that thread and back (the GIL changes hands twice): on the post path that
was ~40 hand-offs per post and the largest single CPU cost in the profile. This cursor does
the four steps in one function on the worker thread, and keeps what the caller reads
afterwards (description, rows, rowcount, lastrowid).

It leans on two aiosqlite internals, ``Connection._execute`` (run a function on the
connection's thread) and ``Connection._conn`` (the sqlite3 connection there);
tests/db/test_sqlite_one_hop.py fails if either changes. Server-side (streaming) cursors
keep the adapter's own class.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)

_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool = False) -> _Outcome:
    """On the worker thread: the whole statement, cursor opened and closed here."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    # There is no aiosqlite cursor to close: the base class then skips its own close call.
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    def _keep(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows or ())

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            self._keep(await connection._execute(_run, connection._conn, operation, parameters))

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            self._keep(
                await connection._execute(
                    _run, connection._conn, operation, seq_of_parameters, True
                )
            )


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """The adapter's connection with ``OneHopCursor`` for ordinary cursors (no new state:
    an adapter connection's class can be switched to it)."""

    __slots__ = ()
    _cursor_cls = OneHopCursor


def use_one_hop_cursors(dbapi_connection: Any) -> None:
    """Switch an adapted aiosqlite connection (a "connect" event's argument) to one-hop
    cursors."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneHopConnection
