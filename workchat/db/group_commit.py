"""Group commit: one write transaction and one COMMIT (one fsync) for many actions.

SQLite has a single writer, so this process's writers queue anyway. Rather than each one
taking the file lock, running its statements and committing on its own, they take turns
(FIFO, ``asyncio.Lock``) inside one shared transaction, each in its own SAVEPOINT: an action
that fails rolls back only its savepoint and gets its own error. When the last writer in
line has run (or the batch is full), the transaction commits once; every writer of the batch
is answered only after that COMMIT succeeded (acknowledged = durable), and the batch's
after-commit hooks (event publishing) run first, in commit order.

A writer's session is its own (own identity map), bound to the shared connection with
``join_transaction_mode="create_savepoint"``: ``session.begin()`` is the SAVEPOINT.

Writers may also keep what they know of the database in the committer's *memo*
(``writer_memo``), e.g. the head of a hash chain they just appended to, instead of reading it
again in the next action. The memo holds only while nothing else changed the database: it is
emptied when another connection (another process, the CLI, this process's other engines)
committed since this committer's last COMMIT (``PRAGMA data_version``, read once per batch),
when a writer's savepoint rolled back (its writes are gone; the memo may describe them), and
when a COMMIT failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from workchat.db.direct_write import RAW_SQLITE
from workchat.db.sqlite_one_hop import run_inline

log = logging.getLogger(__name__)

# session.info key: async callables to run once the session's writes are committed.
AFTER_COMMIT = "workchat.after_commit"
# session.info key: the committer's memo (see ``writer_memo``).
MEMO = "workchat.writer_memo"
MAX_BATCH = 64

AfterCommit = Callable[[], Awaitable[None]]

# The connection a writer of this task is using: a nested write joins it (its own savepoint)
# instead of queueing behind itself.
_current: ContextVar[AsyncConnection | None] = ContextVar("group_commit_conn", default=None)


def after_commit(session: AsyncSession, hook: AfterCommit) -> None:
    """Run ``hook`` after the transaction holding ``session``'s writes has committed."""
    session.info.setdefault(AFTER_COMMIT, []).append(hook)


def writer_memo(session: AsyncSession) -> dict[Any, Any] | None:
    """What this process's writers know of the database between statements, or None where
    there is no such knowledge (PostgreSQL: other processes write concurrently).

    Valid inside the session's transaction; a writer stores there only what is true once its
    own statements have run (the group committer forgets it all when a savepoint or a COMMIT
    fails, or another connection committed)."""
    memo: dict[Any, Any] | None = session.info.get(MEMO)
    return memo


async def run_hooks(hooks: list[AfterCommit]) -> None:
    for hook in hooks:
        try:
            await hook()
        except Exception:
            log.exception("an after-commit hook failed")


class BatchFailed(Exception):
    """The shared COMMIT failed: nothing of the batch was stored."""


class GroupCommitter:
    def __init__(self, engine: AsyncEngine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._lock = asyncio.Lock()
        self._queued = 0  # writers waiting for their turn
        self._conn: AsyncConnection | None = None
        self._answers: list[asyncio.Future[None]] = []
        self._hooks: list[AfterCommit] = []
        self._memo: dict[Any, Any] = {}
        # The connection of the last COMMIT and its data_version then: the memo is current
        # while a new batch on that connection reads the same data_version.
        self._memo_as_of: tuple[Any, int] | None = None
        # The batch's sqlite3 connection, whose statements run inline (direct_write).
        self._raw: Any = None

    def _session(self, conn: AsyncConnection) -> AsyncSession:
        session = AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        session.info[MEMO] = self._memo
        session.info[RAW_SQLITE] = self._raw
        return session

    async def _begin(self) -> AsyncConnection:
        """A new batch: BEGIN IMMEDIATE, and forget the memo if another connection
        committed since this committer's last COMMIT."""
        conn = await self._engine.connect()
        try:
            await conn.begin()  # BEGIN IMMEDIATE (the engine's hook): sent with the PRAGMA
            # Under the write lock: nobody else can commit until this batch has.
            version = (await conn.exec_driver_sql("PRAGMA data_version")).scalar_one()
        except BaseException:
            await conn.close()
            raise
        raw = (await conn.get_raw_connection()).driver_connection
        if self._memo_as_of != (raw, version):
            self._memo.clear()
        self._memo_as_of = (raw, version)
        # The batch holds the write lock: its statements cannot wait, so they skip the trip
        # to the connection's thread (until the COMMIT, which can).
        assert raw is not None
        run_inline(raw, True)
        self._raw = raw._conn
        return conn

    def _forget(self) -> None:
        self._memo.clear()
        self._memo_as_of = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        joined = _current.get()
        if joined is not None:
            # Nested in another writer's turn: its own savepoint in the same transaction,
            # committed (and its hooks run) with the outer writer's batch.
            try:
                async with self._session(joined) as session:
                    yield session
                    self._hooks.extend(session.info.get(AFTER_COMMIT, ()))
            except BaseException:
                self._forget()
                raise
            return
        answer: asyncio.Future[None] | None = None
        self._queued += 1
        try:
            await self._lock.acquire()
        finally:
            self._queued -= 1
        try:
            if self._conn is None:
                self._conn = await self._begin()
            token = _current.set(self._conn)
            try:
                async with self._session(self._conn) as session:
                    yield session
                    answer = asyncio.get_running_loop().create_future()
                    self._answers.append(answer)
                    self._hooks.extend(session.info.get(AFTER_COMMIT, ()))
            except BaseException:
                self._forget()  # its savepoint rolled back: the memo may describe its writes
                raise
            finally:
                _current.reset(token)
        finally:
            try:
                if self._conn is not None and (
                    self._queued == 0 or len(self._answers) >= self._max_batch
                ):
                    # Shielded: a cancelled writer must not leave the batch half-committed.
                    await asyncio.shield(self._commit())
            finally:
                self._lock.release()
        assert answer is not None
        await answer  # raises BatchFailed when the COMMIT failed

    async def _commit(self) -> None:
        conn, answers, hooks = self._conn, self._answers, self._hooks
        assert conn is not None
        self._conn, self._answers, self._hooks, self._raw = None, [], [], None
        # The memo holds only once this COMMIT is done: whatever goes wrong, it is forgotten.
        as_of, self._memo_as_of = self._memo_as_of, None
        try:
            run_inline((await conn.get_raw_connection()).driver_connection, False)
            await conn.commit()
            self._memo_as_of = as_of
        except Exception as exc:
            self._forget()
            log.exception("group commit of %d writes failed", len(answers))
            for answer in answers:
                if not answer.done():
                    answer.set_exception(BatchFailed(str(exc)))
            return
        finally:
            await conn.close()
        await run_hooks(hooks)
        for answer in answers:
            if not answer.done():
                answer.set_result(None)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._commit()
