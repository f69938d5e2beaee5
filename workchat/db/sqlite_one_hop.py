"""One trip to aiosqlite's thread per SQLite statement, instead of four.

aiosqlite runs every call on its connection's own thread, and SQLAlchemy's adapter makes
one call each to open a cursor, execute, fetch the rows and close the cursor. Each call is a
queue hand-off to that thread and back (the GIL changes hands twice): on the post path that
was ~40 hand-offs per post and the largest single CPU cost in the profile. This cursor does
the four steps in one function on the worker thread, and keeps what the caller reads
afterwards (description, rows, rowcount, lastrowid).

Inside the group committer's write transaction a statement makes no trip at all: it runs on
the event loop's thread (``run_inline``). The trip was ~60 µs of CPU, the statement itself a
few µs, and there it cannot wait: the transaction already holds SQLite's write lock, and WAL
readers never block a writer. What can wait stays on the worker thread: the BEGIN IMMEDIATE
(busy_timeout while another process writes), the COMMIT (a WAL checkpoint, fsync) and every
read transaction (a search may scan for milliseconds). The price is that a long write
statement (a retention batch of 1,000 events) holds the event loop for its few milliseconds.

It leans on two aiosqlite internals, ``Connection._execute`` (run a function on the
connection's thread) and ``Connection._conn`` (the sqlite3 connection there);
tests/db/test_sqlite_one_hop.py fails if either changes. Server-side (streaming) cursors
keep the adapter's own class (they send a deferred BEGIN first, on its own trip).

Two more trips go the same way. A transaction's ``BEGIN`` (a read's plain one, the writer
engine's IMMEDIATE) waits on the connection (``defer_begin``) and travels with its first
statement. ``commit``/``rollback`` make no trip
when the sqlite3 connection is not in a transaction: sqlite3 itself does nothing then, so
the pool's rollback on return after the session's own, or the end of a read that never ran
a statement, cost nothing. The check reads ``in_transaction`` from the event loop's thread;
no call is running on the connection then (SQLAlchemy invalidates a connection whose call
was cancelled instead of returning it to the pool).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_ss_cursor,
)

_Outcome = tuple[Any, list[Any] | None, int, int | None]

# The adapter connection has no room for state (``__slots__``; its class is switched in
# place): a deferred BEGIN waits on the aiosqlite connection under this name.
_PENDING_BEGIN = "_workchat_pending_begin"
# Set on the aiosqlite connection while its statements may run on the event loop's thread.
_INLINE = "_workchat_inline"


def _run(
    conn: sqlite3.Connection,
    operation: str,
    parameters: Any,
    many: bool = False,
    begin: str | None = None,
) -> _Outcome:
    """On the worker thread: a deferred BEGIN if any, then the whole statement, cursor
    opened and closed here."""
    if begin is not None:
        conn.execute(begin).close()
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
        await self._run_statement(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        await self._run_statement(operation, seq_of_parameters, True)

    async def _run_statement(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            begin = self._adapt_connection.take_deferred_begin()  # type: ignore[attr-defined]
            sqlite = connection._conn
            if begin is None and connection.__dict__.get(_INLINE) and sqlite.in_transaction:
                self._keep(_run(sqlite, operation, parameters, many))
                return
            self._keep(await connection._execute(_run, sqlite, operation, parameters, many, begin))


class BeginFirstSSCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """The adapter's server-side cursor, sending a deferred BEGIN before its statement."""

    __slots__ = ()

    async def _send_deferred_begin(self) -> None:
        begin = self._adapt_connection.take_deferred_begin()  # type: ignore[attr-defined]
        if begin is not None:
            async with self._adapt_connection._execute_mutex:
                connection: Any = self._connection
                await connection._execute(_run, connection._conn, begin, None)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._send_deferred_begin()
        return await super()._execute_async(operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._send_deferred_begin()
        return await super()._executemany_async(operation, seq_of_parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """The adapter's connection with ``OneHopCursor`` for ordinary cursors (no new state:
    an adapter connection's class can be switched to it)."""

    __slots__ = ()
    _cursor_cls = OneHopCursor
    _ss_cursor_cls = BeginFirstSSCursor

    def defer_begin(self, statement: str) -> None:
        """Send ``statement`` (a BEGIN) with this connection's next statement, not now."""
        setattr(self._connection, _PENDING_BEGIN, statement)

    def take_deferred_begin(self) -> str | None:
        pending: str | None = self._connection.__dict__.pop(_PENDING_BEGIN, None)
        return pending

    def _in_transaction(self) -> bool:
        # A BEGIN never sent has nothing to end: drop it.
        self.take_deferred_begin()
        conn = self._connection._connection
        return conn is not None and conn.in_transaction

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()


def run_inline(driver_connection: Any, enabled: bool) -> None:
    """Let statements on ``driver_connection`` (an aiosqlite connection) run on the event
    loop's thread while it is in a transaction (``enabled``), or send them to its worker
    thread again. For a write transaction that holds the write lock, nothing else."""
    if enabled:
        setattr(driver_connection, _INLINE, True)
    else:
        driver_connection.__dict__.pop(_INLINE, None)


def use_one_hop_cursors(dbapi_connection: Any) -> None:
    """Switch an adapted aiosqlite connection (a "connect" event's argument) to one-hop
    cursors."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneHopConnection
